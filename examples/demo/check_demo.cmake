# CTest check of the demo in replay mode (what a new user without Ollama sees): runs DEMO with
# OLLAMA_HOST pointing at a closed port, so it falls back to the bundled recording, and checks the
# exit status, the printed answer and trace tree, and the OTLP/JSON trace file (every line one
# ExportTraceServiceRequest, together holding the expected spans).
#   cmake -DDEMO=<llmtrace_demo> -DTRACE_FILE=<path> -P check_demo.cmake
cmake_minimum_required(VERSION 3.19)  # string(JSON), IN_LIST
set(ENV{OLLAMA_HOST} "http://127.0.0.1:1")
set(ENV{NO_COLOR} "1")
execute_process(COMMAND ${DEMO} --trace-file ${TRACE_FILE} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
message("${out}${err}")
if(NOT rc STREQUAL "0")
  message(FATAL_ERROR "llmtrace_demo exited with ${rc}")
endif()

set(expected_output
  "no Ollama answered at http://127.0.0.1:1[^\n]*replaying the bundled recording"
  "Corpus: [0-9]+ documents, [0-9]+ chunks embedded with nomic-embed-text in [0-9]+ batches"
  "Question: How does llmtrace trace a RAG question\\?"
  "Answer \\(llama3.2, recorded from the test fake\\): You said: How does llmtrace trace a RAG"
  "Sources:\n  \\[1\\] [^ ]+#[0-9]+ +score [0-9.]+"
  "invoke_workflow rag"
  "embeddings nomic-embed-text"
  "retrieval llmtrace-docs"
  "chat llama3.2"
  "ollama.prompt_eval"
  "ollama.eval"
  "Metrics \\(console metric exporter[^\n]*\nmetrics \\(llmtrace-demo\\):\n"
  "gen_ai.client.inference.duration  \\(histogram, s\\)\n  [^\n]*gen_ai.request.model=llama3.2[^\n]*count 1 "
  "gen_ai.client.token.usage|gen_ai.client.inference.usage.input_tokens"
  "one line per export batch"
  "Open the trace in a browser \\(waterfall, spans, prompts\\): [^\n]+\\.html\n$")
foreach(re IN LISTS expected_output)
  if(NOT out MATCHES "${re}")
    message(FATAL_ERROR "demo output does not match: ${re}")
  endif()
endforeach()

# The last line names the HTML trace viewer the demo wrote (the trace file with .html).
string(REGEX REPLACE "\\.jsonl$" ".html" html_file "${TRACE_FILE}")
if(NOT out MATCHES "browser \\(waterfall, spans, prompts\\): ${html_file}\n$")
  message(FATAL_ERROR "the demo's last line is not the path of ${html_file}")
endif()
file(READ "${html_file}" html)
if(NOT html MATCHES "^<!DOCTYPE html>" OR NOT html MATCHES "invoke_workflow rag")
  message(FATAL_ERROR "${html_file} is not the HTML trace viewer of the demo's trace")
endif()

if(NOT EXISTS "${TRACE_FILE}")
  message(FATAL_ERROR "trace file ${TRACE_FILE} was not written")
endif()
file(READ "${TRACE_FILE}" content)
string(REPLACE ";" "<semicolon>" content "${content}")
string(REPLACE "\n" ";" lines "${content}")
set(names "")
set(line_count 0)
foreach(line IN LISTS lines)
  if(line STREQUAL "")
    continue()
  endif()
  string(REPLACE "<semicolon>" "\\;" line "${line}")
  math(EXPR line_count "${line_count} + 1")
  string(JSON n_resource ERROR_VARIABLE json_error LENGTH "${line}" resourceSpans)
  if(json_error OR n_resource EQUAL 0)
    message(FATAL_ERROR "trace file line ${line_count} is not an OTLP/JSON ExportTraceServiceRequest: ${json_error}")
  endif()
  math(EXPR last_r "${n_resource} - 1")
  foreach(r RANGE ${last_r})
    string(JSON n_scope LENGTH "${line}" resourceSpans ${r} scopeSpans)
    math(EXPR last_s "${n_scope} - 1")
    foreach(s RANGE ${last_s})
      string(JSON n_span LENGTH "${line}" resourceSpans ${r} scopeSpans ${s} spans)
      math(EXPR last_k "${n_span} - 1")
      foreach(k RANGE ${last_k})
        string(JSON name GET "${line}" resourceSpans ${r} scopeSpans ${s} spans ${k} name)
        list(APPEND names "${name}")
      endforeach()
    endforeach()
  endforeach()
endforeach()
if(line_count EQUAL 0)
  message(FATAL_ERROR "trace file ${TRACE_FILE} is empty")
endif()
foreach(want "invoke_workflow rag.ingest" "rag.chunk" "invoke_workflow rag" "embeddings nomic-embed-text"
             "retrieval llmtrace-docs" "chat llama3.2" "ollama.load" "ollama.prompt_eval" "ollama.eval")
  if(NOT want IN_LIST names)
    message(FATAL_ERROR "trace file has no span named '${want}' (found: ${names})")
  endif()
endforeach()
list(LENGTH names span_count)
message("trace file: ${line_count} line(s), ${span_count} spans")
