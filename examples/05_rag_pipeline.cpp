// 05_rag_pipeline: the traced RAG pipeline in a few lines: ingest three documents, ask a question,
// print the answer and its sources. The console shows two traces: `invoke_workflow rag.ingest` and
// `invoke_workflow rag` with embeddings, retrieval and chat beneath it.
#include <llmtrace/llmtrace.hpp>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

namespace rag = llmtrace::rag;

int main(int argc, char** argv) {
  llmtrace::init_options options;
  options.service_name = "example-rag";
  if (!std::getenv("OTEL_TRACES_EXPORTER")) options.exporter_names = std::vector<std::string>{"console"};
  auto tracing = llmtrace::init(std::move(options));

  rag::pipeline_options config;  // llama3.2 and nomic-embed-text, top 4
  config.top_k = 2;
  if (const char* m = std::getenv("LLMTRACE_CHAT_MODEL")) config.chat_model = m;
  if (const char* m = std::getenv("LLMTRACE_EMBED_MODEL")) config.embedding_model = m;
  rag::rag_pipeline pipeline(llmtrace::ollama::client(), std::make_shared<rag::in_memory_vector_store>("kitchen"),
                             config);

  const std::vector<rag::document> docs = {
      {"bread.md", "recipes/bread.md",
       "Bread needs flour, water, salt and yeast. Knead the dough for ten minutes, let it rise for an hour, "
       "then bake it at 230 degrees for thirty minutes."},
      {"soup.md", "recipes/soup.md",
       "A tomato soup starts with onions softened in olive oil. Add tomatoes and stock, simmer for twenty "
       "minutes and blend until smooth."},
      {"tea.md", "recipes/tea.md",
       "Green tea tastes best brewed at 80 degrees for two minutes; boiling water makes it bitter."},
  };
  const std::string question = argc > 1 ? argv[1] : "How long should bread dough rise?";
  try {
    const auto stats = pipeline.ingest(docs);
    std::printf("ingested %zu documents as %zu chunks in %zu batches\n\n", stats.documents, stats.chunks,
                stats.batches);
    const rag::answer a = pipeline.query(question);
    std::printf("Q: %s\nA: %s\n", question.c_str(), a.text.c_str());
    for (std::size_t i = 0; i < a.sources.size(); ++i)
      std::printf("  [%zu] %s (score %.3f)\n", i + 1, a.sources[i].id.c_str(), static_cast<double>(a.sources[i].score));
    std::printf("\n");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "rag failed: %s\n", e.what());
    return 1;
  }
  return 0;
}
