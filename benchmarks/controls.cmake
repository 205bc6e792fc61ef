# Control-stage benchmarks: redaction with content capture, tail keep beside the plain batch path
# (included by benchmarks/CMakeLists.txt).
llmtrace_add_benchmark(bench_controls ${CMAKE_CURRENT_LIST_DIR}/bench_controls.cpp
                       ${CMAKE_CURRENT_LIST_DIR}/alloc_counter.cpp)
