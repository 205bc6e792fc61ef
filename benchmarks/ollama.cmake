# Ollama client benchmarks (included by benchmarks/CMakeLists.txt). They talk to the fake daemon of
# tests/support, so they exist only when the tests are configured too.
if(TARGET llmtrace_fake_ollama)
  llmtrace_add_benchmark(bench_ollama ${CMAKE_CURRENT_LIST_DIR}/bench_ollama.cpp ${CMAKE_CURRENT_LIST_DIR}/alloc_counter.cpp)
  target_link_libraries(bench_ollama PRIVATE llmtrace_fake_ollama)
endif()
