# OTLP encoding and exporter benchmarks (included by benchmarks/CMakeLists.txt).
llmtrace_add_benchmark(bench_otlp ${CMAKE_CURRENT_LIST_DIR}/bench_otlp.cpp ${CMAKE_CURRENT_LIST_DIR}/alloc_counter.cpp)
