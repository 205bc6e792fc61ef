# Log recording benchmarks (included by benchmarks/CMakeLists.txt).
llmtrace_add_benchmark(bench_logs ${CMAKE_CURRENT_LIST_DIR}/bench_logs.cpp ${CMAKE_CURRENT_LIST_DIR}/alloc_counter.cpp)
