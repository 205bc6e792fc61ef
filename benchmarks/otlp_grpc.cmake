# OTLP/gRPC export cost beside OTLP/HTTP protobuf (included by benchmarks/CMakeLists.txt). They talk to
# the real gRPC server and the fake collector of tests/support, so they exist only with the tests.
if(TARGET llmtrace_grpc_collector AND TARGET llmtrace_fake_collector)
  llmtrace_add_benchmark(bench_otlp_grpc ${CMAKE_CURRENT_LIST_DIR}/bench_otlp_grpc.cpp)
  target_link_libraries(bench_otlp_grpc PRIVATE llmtrace_grpc_collector llmtrace_fake_collector)
endif()
