using BayesianRouter.Data;

namespace BayesianRouter.Service;

/// <summary>
/// Fresh synthetic chat pairs for the service benchmarks: pair n's texts are drawn from a generator seeded by
/// (seed, n), so every index gives new texts (a trainer's fresh policy samples) and the same index the same texts.
/// Lengths like chat data: a prompt of 30 to 120 words, responses of 150 to 350 words (about 200 to 450 word-piece
/// tokens: a few hundred, so at the default budget of 256 tokens every text is cut to the budget).
/// </summary>
public static class BenchmarkPairs
{
    private static readonly string[] Words =
    [
        "the", "value", "of", "x", "is", "solve", "for", "equation", "we", "get", "therefore", "answer", "step", "first", "then",
        "multiply", "both", "sides", "by", "divide", "sum", "product", "integer", "prime", "function", "derivative", "limit", "graph",
        "area", "triangle", "a", "an", "and", "or", "but", "because", "which", "when", "where", "how", "why", "this", "that", "these",
        "those", "can", "could", "should", "would", "will", "must", "might", "model", "data", "result", "example", "question", "reason",
        "explain", "describe", "compare", "list", "summary", "important", "different", "similar", "possible", "likely", "approach",
        "method", "problem", "solution", "system", "process", "energy", "water", "light", "plant", "cell", "history", "city", "country",
        "language", "music", "story", "character", "time", "year", "people", "world", "computer", "program", "code", "error", "memory",
        "network", "server", "request", "response", "user", "policy", "reward", "training", "learning", "feedback", "quality", "cost",
        "price", "market", "growth", "risk", "safety", "health", "doctor", "patient", "food", "travel", "weather", "rain", "summer",
        "winter", "morning", "evening", "friend", "family", "school", "student", "teacher", "book", "write", "read", "think", "know",
        "believe", "suggest", "consider", "recommend", "improve", "increase", "decrease", "change", "keep", "start", "finish", "simple",
        "complex", "clear", "careful", "quick", "slow", "large", "small", "new", "old", "good", "better", "best", "first", "second",
        "finally", "however", "moreover", "instead", "overall", "in", "on", "at", "with", "without", "from", "to", "into", "over", "under",
        "1", "2", "3", "10", "42", "100", "2024", "=", "+", "-", "*", "/", "(", ")", ",", ".", "?", "!", ":", ";",
    ];

    /// <summary>Pair <paramref name="index"/> of the stream seeded by <paramref name="seed"/>; its id is <paramref name="idPrefix"/> plus the index.</summary>
    public static PreferencePair Fresh(long index, long seed, string idPrefix = "bench-") => Make(index, seed, idPrefix, 30, 91, 150, 201);

    /// <summary>
    /// A short fresh pair (a prompt of 5 to 14 words, responses of 10 to 29): for the soak, whose stand-in encoder
    /// does not read the texts' length, so long texts would only load the JSON of the loopback requests.
    /// </summary>
    public static PreferencePair Short(long index, long seed, string idPrefix = "soak-") => Make(index, seed, idPrefix, 5, 10, 10, 20);

    private static PreferencePair Make(long index, long seed, string idPrefix, int promptMin, int promptSpread, int responseMin, int responseSpread)
    {
        var rng = new Random(HashCode.Combine(seed, index, 0x5eed));
        string Text(int n)
        {
            var sb = new System.Text.StringBuilder(n * 7);
            for (int i = 0; i < n; i++)
            {
                if (i > 0) sb.Append(' ');
                sb.Append(Words[rng.Next(Words.Length)]);
            }
            return sb.ToString();
        }
        var prompt = $"Question {index}: " + Text(promptMin + rng.Next(promptSpread));
        return new PreferencePair
        {
            Id = $"{idPrefix}{index}",
            Group = "",
            Prompt = prompt,
            ResponseA = Text(responseMin + rng.Next(responseSpread)),
            ResponseB = Text(responseMin + rng.Next(responseSpread)),
        };
    }

    /// <summary>Pairs <paramref name="start"/> to <paramref name="start"/> + <paramref name="count"/> - 1 of the stream.</summary>
    public static PreferencePair[] Range(long start, int count, long seed, string idPrefix = "bench-") =>
        Enumerable.Range(0, count).Select(i => Fresh(start + i, seed, idPrefix)).ToArray();
}
