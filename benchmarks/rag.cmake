# RAG benchmarks: exact vector search at 10k / 100k chunks of 768 dims, and the ingest cost per chunk
# without the model (included by benchmarks/CMakeLists.txt).
llmtrace_add_benchmark(bench_rag ${CMAKE_CURRENT_LIST_DIR}/bench_rag.cpp)
