// with_fake_ollama: runs a command with OLLAMA_HOST pointing at llmtrace's fake Ollama server
// (tests/support/fake_ollama), so the examples and the demo run in CI without a model.
//
//   with_fake_ollama [--pacing] <program> [args...]
//
// --pacing: the fake takes the time its responses report (fake_ollama_config::pacing), for
// recordings whose timing is replayed (the demo's).
//
// The fake starts on a free local port, the command runs with OLLAMA_HOST set to it, and the exit
// status of the command is returned. Test-only tool: built when LLMTRACE_BUILD_TESTS is on.
#include "support/fake_ollama.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char** argv) {
  llmtrace_test::fake_ollama_config config;
  if (argc >= 2 && std::string(argv[1]) == "--pacing") {
    config.pacing = true;
    --argc;
    ++argv;
  }
  if (argc < 2) {
    std::fprintf(stderr, "usage: with_fake_ollama [--pacing] <program> [args...]\n");
    return 2;
  }
  config.fixed_created_at = "2026-01-01T00:00:00Z";  // byte-stable responses for recordings
  llmtrace_test::fake_ollama server(config);
  const std::string url = server.base_url();
  if (::setenv("OLLAMA_HOST", url.c_str(), 1) != 0) {
    std::perror("with_fake_ollama: setenv");
    return 2;
  }
  std::fflush(stdout);
  std::fflush(stderr);
  const pid_t pid = ::fork();
  if (pid < 0) {
    std::perror("with_fake_ollama: fork");
    return 2;
  }
  if (pid == 0) {
    ::execvp(argv[1], argv + 1);
    std::perror("with_fake_ollama: exec");
    std::_Exit(127);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      std::perror("with_fake_ollama: waitpid");
      return 2;
    }
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  std::fprintf(stderr, "with_fake_ollama: %s ended by signal %d\n", argv[1],
               WIFSIGNALED(status) ? WTERMSIG(status) : 0);
  return 1;
}
