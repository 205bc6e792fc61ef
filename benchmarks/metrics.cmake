# Metrics recording benchmarks (included by benchmarks/CMakeLists.txt).
llmtrace_add_benchmark(bench_metrics ${CMAKE_CURRENT_LIST_DIR}/bench_metrics.cpp ${CMAKE_CURRENT_LIST_DIR}/alloc_counter.cpp)
