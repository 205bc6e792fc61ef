// Tests for llmtrace/rag/chunker.hpp: sizes, boundaries, overlap and UTF-8 safety.
#include <llmtrace/rag/chunker.hpp>

#include <doctest/doctest.h>

#include <llmtrace/detail/utf8.hpp>

#include <string>
#include <vector>

namespace rag = llmtrace::rag;

namespace {

std::size_t chars(const std::string& s) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < s.size(); i += llmtrace::detail::utf8_char_length(s, i)) ++n;
  return n;
}

// Every chunk is at most max_chars, non-empty, trimmed, valid UTF-8 when the input is, found at its offset.
void check_invariants(const std::string& text, const std::vector<rag::chunk>& out, const rag::chunk_options& o) {
  for (std::size_t i = 0; i < out.size(); ++i) {
    const auto& c = out[i];
    CHECK(c.index == i);
    CHECK_FALSE(c.text.empty());
    CHECK(chars(c.text) <= o.max_chars);
    CHECK_FALSE(rag::detail::is_space(c.text.front()));
    CHECK_FALSE(rag::detail::is_space(c.text.back()));
    REQUIRE(c.offset + c.text.size() <= text.size());
    CHECK(text.compare(c.offset, c.text.size(), c.text) == 0);
    if (llmtrace::detail::is_valid_utf8(text)) CHECK(llmtrace::detail::is_valid_utf8(c.text));
    if (i > 0) CHECK(c.offset > out[i - 1].offset);
  }
}

// Concatenating the chunks' non-overlapping parts gives back every non-space character of the text.
void check_coverage(const std::string& text, const std::vector<rag::chunk>& out) {
  std::vector<bool> covered(text.size(), false);
  for (const auto& c : out)
    for (std::size_t k = 0; k < c.text.size(); ++k) covered[c.offset + k] = true;
  for (std::size_t k = 0; k < text.size(); ++k)
    if (!rag::detail::is_space(text[k])) CHECK_MESSAGE(covered[k], "byte " << k << " is in no chunk");
}

}  // namespace

TEST_CASE("empty and white-space text give no chunks") {
  CHECK(rag::split_text("").empty());
  CHECK(rag::split_text("  \n\n\t ").empty());
}

TEST_CASE("text shorter than a chunk gives one trimmed chunk") {
  const auto out = rag::split_text("  Hello, world.\n", {100, 10});
  REQUIRE(out.size() == 1);
  CHECK(out[0].text == "Hello, world.");
  CHECK(out[0].offset == 2);
  CHECK(out[0].index == 0);
}

TEST_CASE("a text of exactly max_chars characters is one chunk") {
  const std::string text(50, 'a');
  const auto out = rag::split_text(text, {50, 5});
  REQUIRE(out.size() == 1);
  CHECK(out[0].text == text);
}

TEST_CASE("invalid options are rejected") {
  CHECK_THROWS_AS(rag::chunker({0, 0}), std::invalid_argument);
  CHECK_THROWS_AS(rag::chunker({10, 10}), std::invalid_argument);
  CHECK_THROWS_AS(rag::chunker({10, 2, 1.5}), std::invalid_argument);
}

TEST_CASE("cuts prefer a paragraph break, then a sentence end") {
  const std::string p1 = "First paragraph has two sentences. It ends here.";
  const std::string p2 = "Second paragraph is a little longer than the first one. Then more.";
  const std::string text = p1 + "\n\n" + p2;
  rag::chunk_options o{80, 0};
  const auto out = rag::split_text(text, o);
  REQUIRE(out.size() == 2);
  CHECK(out[0].text == p1);
  CHECK(out[1].text == p2);

  // Without a paragraph break in reach, the window ends after the last full sentence.
  const std::string s = "One two three four. Five six seven eight. Nine ten eleven twelve thirteen.";
  const auto by_sentence = rag::split_text(s, {50, 0});
  REQUIRE(by_sentence.size() == 2);
  CHECK(by_sentence[0].text == "One two three four. Five six seven eight.");
  CHECK(by_sentence[1].text == "Nine ten eleven twelve thirteen.");
}

TEST_CASE("without sentences the cut falls on a space, never inside a word") {
  const std::string text = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu";
  const auto out = rag::split_text(text, {20, 0});
  check_invariants(text, out, {20, 0});
  check_coverage(text, out);
  for (const auto& c : out) {
    // Each chunk begins and ends on a whole word.
    CHECK((c.offset == 0 || text[c.offset - 1] == ' '));
    const std::size_t end = c.offset + c.text.size();
    CHECK((end == text.size() || text[end] == ' '));
  }
}

TEST_CASE("a word longer than a chunk is cut at max_chars") {
  const std::string text(25, 'x');
  const auto out = rag::split_text(text, {10, 0});
  REQUIRE(out.size() == 3);
  CHECK(out[0].text.size() == 10);
  CHECK(out[1].text.size() == 10);
  CHECK(out[2].text.size() == 5);
}

TEST_CASE("consecutive chunks overlap by about `overlap` characters, aligned to words") {
  std::string text;
  for (int i = 0; i < 60; ++i) text += "word" + std::to_string(i) + " ";
  const rag::chunk_options o{60, 20};
  const auto out = rag::split_text(text, o);
  REQUIRE(out.size() > 3);
  check_invariants(text, out, o);
  check_coverage(text, out);
  for (std::size_t i = 1; i < out.size(); ++i) {
    const std::size_t prev_end = out[i - 1].offset + out[i - 1].text.size();
    REQUIRE(out[i].offset < prev_end);      // overlaps
    CHECK(prev_end - out[i].offset <= 20);  // by at most `overlap`
    CHECK(prev_end - out[i].offset >= 8);   // and not much less (word alignment only)
    CHECK(text[out[i].offset - 1] == ' ');  // starting on a word
  }
}

TEST_CASE("multi-byte characters at chunk boundaries are never split") {
  // 2-, 3- and 4-byte characters with no spaces: every cut is a hard cut at max_chars.
  const std::string unit = "\xC3\xA9\xE6\x97\xA5\xF0\x9F\x98\x80";  // é 日 😀
  std::string text;
  for (int i = 0; i < 20; ++i) text += unit;
  for (std::size_t max : {1u, 2u, 4u, 7u, 10u}) {
    for (std::size_t overlap : {0u, 1u, 3u}) {
      if (overlap >= max) continue;
      const rag::chunk_options o{max, overlap};
      CAPTURE(max);
      CAPTURE(overlap);
      const auto out = rag::split_text(text, o);
      check_invariants(text, out, o);
      check_coverage(text, out);
      for (const auto& c : out) {
        CHECK(llmtrace::detail::is_valid_utf8(c.text));
        if (&c != &out.back()) CHECK(chars(c.text) == max);
      }
    }
  }
}

TEST_CASE("CJK full stops end sentences without a following space") {
  const std::string text =
      "\xE4\xB8\x80\xE4\xBA\x8C\xE4\xB8\x89\xE3\x80\x82\xE5\x9B\x9B\xE4\xBA\x94\xE5\x85\xAD";  // 一二三。四五六
  const auto out = rag::split_text(text, {6, 0});
  REQUIRE(out.size() == 2);
  CHECK(out[0].text == "\xE4\xB8\x80\xE4\xBA\x8C\xE4\xB8\x89\xE3\x80\x82");
  CHECK(out[1].text == "\xE5\x9B\x9B\xE4\xBA\x94\xE5\x85\xAD");
}

TEST_CASE("invalid UTF-8 bytes count as one character and do not stop progress") {
  const std::string text = std::string("ab\xFF\xFE") + "cd\xC3" + "ef\x80gh";
  const rag::chunk_options o{3, 1};
  const auto out = rag::split_text(text, o);
  check_invariants(text, out, o);
  check_coverage(text, out);
}

TEST_CASE("CRLF paragraphs are recognised") {
  const std::string text = "First part here.\r\n\r\nSecond part, which is longer.";
  const auto out = rag::split_text(text, {30, 0});
  REQUIRE(out.size() == 2);
  CHECK(out[0].text == "First part here.");
  CHECK(out[1].text == "Second part, which is longer.");
}

TEST_CASE("documents are split in order with the document passed along") {
  const std::vector<rag::document> docs{{"a.md", "docs/a.md", "Alpha one. Alpha two."}, {"b.md", "", "Beta."}};
  std::vector<std::string> seen;
  rag::chunker({12, 0}).split(docs, [&](const rag::document& d, rag::chunk c) {
    seen.push_back(d.id + ":" + std::to_string(c.index) + ":" + c.text);
  });
  CHECK(seen == std::vector<std::string>{"a.md:0:Alpha one.", "a.md:1:Alpha two.", "b.md:0:Beta."});
}

TEST_CASE("a long markdown text satisfies the invariants for many option sets") {
  std::string text;
  for (int p = 0; p < 12; ++p) {
    text += "## Section " + std::to_string(p) + "\n\n";
    for (int s = 0; s < 5; ++s)
      text += "Sentence " + std::to_string(s) + " of paragraph " + std::to_string(p) +
              " talks about spans, traces and \xE2\x80\x9Cquotes\xE2\x80\x9D. ";
    text += "\n\n";
  }
  for (std::size_t max : {40u, 100u, 333u, 1000u}) {
    for (std::size_t overlap : {0u, 10u, 39u}) {
      const rag::chunk_options o{max, overlap};
      CAPTURE(max);
      CAPTURE(overlap);
      const auto out = rag::split_text(text, o);
      check_invariants(text, out, o);
      check_coverage(text, out);
    }
  }
}

TEST_CASE("the overlap starts at a sentence start when the overlap holds one") {
  const std::string text =
      "The first sentence is here. The second sentence follows it. The third one ends the paragraph. "
      "A fourth sentence keeps going. A fifth sentence closes the text.";
  const rag::chunk_options o{70, 40};
  const auto out = rag::split_text(text, o);
  REQUIRE(out.size() >= 3);
  check_invariants(text, out, o);
  check_coverage(text, out);
  for (std::size_t i = 1; i < out.size(); ++i) {
    CAPTURE(out[i].text);
    const bool sentence_start = out[i].text.rfind("The ", 0) == 0 || out[i].text.rfind("A ", 0) == 0;
    CHECK(sentence_start);
    CHECK(out[i].offset < out[i - 1].offset + out[i - 1].text.size());  // still overlapping
  }
}
