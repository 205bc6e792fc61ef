# ctest -P script: disassembles prefetch_codegen.cpp's object (OBJECTS) with OBJDUMP and fails unless
# each function holds the prefetch instructions it asks for.
foreach(check
    "llmtrace_codegen_prefetch_span_for_write:prefetchw"
    "llmtrace_codegen_prefetch_span_for_read:prefetcht0"
    "llmtrace_codegen_prefetch_log_for_write:prefetchw")
  string(REPLACE ":" ";" parts "${check}")
  list(GET parts 0 fn)
  list(GET parts 1 insn)
  execute_process(COMMAND ${OBJDUMP} -d --no-show-raw-insn --disassemble=${fn} ${OBJECTS}
                  OUTPUT_VARIABLE asm RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "objdump failed on ${OBJECTS}")
  endif()
  if(NOT asm MATCHES "<${fn}>:")
    message(FATAL_ERROR "${fn} is not in ${OBJECTS}")
  endif()
  string(REGEX MATCHALL "[\t ]${insn}[\t ]" found "${asm}")
  list(LENGTH found n)
  if(n EQUAL 0)
    message(FATAL_ERROR "${fn}: no ${insn} instruction: the prefetch was compiled out\n${asm}")
  endif()
  message(STATUS "${fn}: ${n} ${insn} instruction(s)")
endforeach()
