# Runs COMMAND (a ;-list) and fails unless it exits 0 and its output matches every regex in EXPECT.
# Used by the example and demo tests: cmake -DCOMMAND=a@@b -DEXPECT=re1@@re2 -P run_example.cmake
# (lists are @@-separated).
cmake_minimum_required(VERSION 3.16)
string(REPLACE "@@" ";" COMMAND "${COMMAND}")
string(REPLACE "@@" ";" EXPECT "${EXPECT}")
execute_process(COMMAND ${COMMAND} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
set(all "${out}${err}")
message("${all}")
if(NOT rc STREQUAL "0")
  message(FATAL_ERROR "exit status ${rc} (expected 0)")
endif()
foreach(re IN LISTS EXPECT)
  if(NOT all MATCHES "${re}")
    message(FATAL_ERROR "output does not match: ${re}")
  endif()
endforeach()
