using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace BayesianRouter.Alignment.Model;

/// <summary>
/// A byte-level BPE tokenizer read from (and written to) a Hugging Face <c>tokenizer.json</c>: the format of GPT-2,
/// SmolLM2 and Llama 3. Text is split at added tokens, then by the pre-tokenizers (<c>Sequence</c> of <c>Digits</c>,
/// <c>Split</c> with a regex and behaviour <c>Isolated</c>, <c>ByteLevel</c> with or without GPT-2's regex), each
/// piece's UTF-8 bytes are mapped to GPT-2's printable characters, and merges are applied by rank.
/// Microsoft.ML.Tokenizers 2.0.1 has no <c>tokenizer.json</c> loader, so this reads the file itself; the tests check
/// it token for token against Microsoft.ML.Tokenizers' GPT-2 tokenizer.
/// </summary>
public sealed class ByteLevelBpeTokenizer
{
    /// <summary>GPT-2's pre-tokenization regex (used by ByteLevel with use_regex = true).</summary>
    public const string Gpt2Pattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    private static readonly char[] ByteToChar = BuildByteMap();
    private static readonly Dictionary<char, byte> CharToByte = ByteToChar.Select((c, b) => (c, b)).ToDictionary(x => x.c, x => (byte)x.b);

    private readonly Dictionary<string, int> _vocab;
    private readonly string[] _idToToken;
    private readonly Dictionary<(string, string), int> _ranks;
    private readonly List<(string Content, int Id, bool Special)> _added;
    private readonly Regex? _addedSplit;
    private readonly IReadOnlyList<PreTokenizerStep> _steps;
    private readonly Dictionary<string, int[]> _wordCache = new(StringComparer.Ordinal);
    private readonly Lock _cacheLock = new();

    public ByteLevelBpeTokenizer(IReadOnlyDictionary<string, int> vocab, IReadOnlyList<(string Left, string Right)> merges,
        IReadOnlyList<(string Content, int Id, bool Special)> addedTokens, IReadOnlyList<PreTokenizerStep> preTokenizers)
    {
        _vocab = new Dictionary<string, int>(vocab, StringComparer.Ordinal);
        foreach (var (content, id, _) in addedTokens) _vocab.TryAdd(content, id);
        int size = _vocab.Values.DefaultIfEmpty(-1).Max() + 1;
        _idToToken = new string[size];
        foreach (var (tok, id) in _vocab)
        {
            if (id < 0) throw new InvalidDataException($"tokenizer.json: token \"{tok}\" has a negative id {id}");
            _idToToken[id] = tok;
        }
        Merges = merges.ToArray();
        _ranks = new Dictionary<(string, string), int>();
        for (int i = 0; i < merges.Count; i++) _ranks.TryAdd(merges[i], i);
        _added = addedTokens.ToList();
        _addedSplit = _added.Count == 0 ? null
            : new Regex("(" + string.Join("|", _added.Select(a => a.Content).OrderByDescending(s => s.Length).Select(Regex.Escape)) + ")",
                RegexOptions.CultureInvariant);
        _steps = preTokenizers.ToArray();
    }

    /// <summary>Size of the id space (largest id + 1).</summary>
    public int VocabSize => _idToToken.Length;

    public IReadOnlyList<(string Left, string Right)> Merges { get; }
    public IReadOnlyList<PreTokenizerStep> PreTokenizers => _steps;
    public IReadOnlyList<(string Content, int Id, bool Special)> AddedTokens => _added;

    /// <summary>The id of a token (e.g. an added token such as &lt;|endoftext|&gt;), or -1.</summary>
    public int TokenId(string token) => _vocab.TryGetValue(token, out var id) ? id : -1;

    /// <summary>Token ids of <paramref name="text"/> (no special tokens are added).</summary>
    public int[] Encode(string text)
    {
        var ids = new List<int>();
        if (_addedSplit is null) EncodeOrdinary(text, ids);
        else
        {
            foreach (var part in _addedSplit.Split(text))
            {
                if (part.Length == 0) continue;
                int special = _added.FindIndex(a => a.Content == part);
                if (special >= 0) ids.Add(_added[special].Id);
                else EncodeOrdinary(part, ids);
            }
        }
        return ids.ToArray();
    }

    private void EncodeOrdinary(string text, List<int> ids)
    {
        IEnumerable<string> pieces = [text];
        foreach (var step in _steps) pieces = pieces.SelectMany(step.Split).ToArray();
        foreach (var piece in pieces)
        {
            if (piece.Length == 0) continue;
            ids.AddRange(EncodeWord(ToByteLevel(piece)));
        }
    }

    private int[] EncodeWord(string word)
    {
        lock (_cacheLock)
            if (_wordCache.TryGetValue(word, out var cached)) return cached;
        var symbols = word.Select(c => c.ToString()).ToList();
        while (symbols.Count > 1)
        {
            int best = -1, bestRank = int.MaxValue;
            for (int i = 0; i + 1 < symbols.Count; i++)
                if (_ranks.TryGetValue((symbols[i], symbols[i + 1]), out int r) && r < bestRank)
                {
                    bestRank = r;
                    best = i;
                }
            if (best < 0) break;
            var (left, right) = Merges[bestRank];
            var merged = new List<string>(symbols.Count);
            for (int i = 0; i < symbols.Count; i++)
            {
                if (i + 1 < symbols.Count && symbols[i] == left && symbols[i + 1] == right)
                {
                    merged.Add(left + right);
                    i++;
                }
                else merged.Add(symbols[i]);
            }
            symbols = merged;
        }
        var ids = new int[symbols.Count];
        for (int i = 0; i < ids.Length; i++)
            ids[i] = _vocab.TryGetValue(symbols[i], out var id) ? id
                : throw new InvalidDataException($"tokenizer.json: the vocabulary lacks \"{symbols[i]}\" (byte-level vocabularies hold all 256 bytes)");
        lock (_cacheLock)
            if (_wordCache.Count < 100_000) _wordCache[word] = ids;
        return ids;
    }

    /// <summary>The text of token ids; added tokens marked special are skipped when <paramref name="skipSpecial"/>.</summary>
    public string Decode(IEnumerable<int> ids, bool skipSpecial = true)
    {
        var bytes = new List<byte>();
        var text = new StringBuilder();
        void Flush()
        {
            if (bytes.Count == 0) return;
            text.Append(Encoding.UTF8.GetString(bytes.ToArray()));
            bytes.Clear();
        }
        foreach (var id in ids)
        {
            if (id < 0 || id >= _idToToken.Length || _idToToken[id] is not { } tok)
                throw new ArgumentException($"token id {id} is not in the vocabulary");
            int added = _added.FindIndex(a => a.Id == id);
            if (added >= 0)
            {
                Flush();
                if (!(skipSpecial && _added[added].Special)) text.Append(tok);
                continue;
            }
            foreach (var ch in tok)
                bytes.Add(CharToByte.TryGetValue(ch, out var b) ? b : throw new ArgumentException($"token {id} holds a character outside the byte-level alphabet"));
        }
        Flush();
        return text.ToString();
    }

    /// <summary>A piece of text as GPT-2's byte-level characters (one per UTF-8 byte).</summary>
    public static string ToByteLevel(string piece)
    {
        var bytes = Encoding.UTF8.GetBytes(piece);
        var chars = new char[bytes.Length];
        for (int i = 0; i < bytes.Length; i++) chars[i] = ByteToChar[bytes[i]];
        return new string(chars);
    }

    /// <summary>The printable character GPT-2 uses for each byte (printable ASCII and Latin-1 map to themselves).</summary>
    public static IReadOnlyList<char> ByteAlphabet => ByteToChar;

    private static char[] BuildByteMap()
    {
        var map = new char[256];
        var direct = new bool[256];
        foreach (var (lo, hi) in new[] { ('!', '~'), ('¡', '¬'), ('®', 'ÿ') })
            for (int b = lo; b <= hi; b++) { map[b] = (char)b; direct[b] = true; }
        int n = 0;
        for (int b = 0; b < 256; b++)
            if (!direct[b]) map[b] = (char)(256 + n++);
        return map;
    }

    /// <summary>Reads a <c>tokenizer.json</c> whose model is byte-level BPE.</summary>
    public static ByteLevelBpeTokenizer Read(string path)
    {
        JsonObject root;
        try
        {
            root = JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new InvalidDataException($"{path}: not a JSON object");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not valid JSON ({e.Message})");
        }
        var model = root["model"] as JsonObject ?? throw new InvalidDataException($"{path}: no \"model\"");
        if (model["type"]?.GetValue<string>() is { } type && type != "BPE")
            throw new InvalidDataException($"{path}: model.type \"{type}\" is not supported (only byte-level BPE)");
        if (root["normalizer"] is JsonObject norm)
            throw new InvalidDataException($"{path}: normalizer \"{norm["type"]}\" is not supported (byte-level BPE tokenizers have none)");
        var vocabNode = model["vocab"] as JsonObject ?? throw new InvalidDataException($"{path}: model.vocab is missing");
        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (tok, id) in vocabNode) vocab[tok] = id!.GetValue<int>();
        var merges = new List<(string, string)>();
        if (model["merges"] is JsonArray mergeArray)
        {
            for (int i = 0; i < mergeArray.Count; i++)
            {
                var m = mergeArray[i];
                if (m is JsonArray pair && pair.Count == 2) merges.Add((pair[0]!.GetValue<string>(), pair[1]!.GetValue<string>()));
                else if (m is JsonValue v && v.GetValue<string>() is var s && s.IndexOf(' ', 1) is int sp and > 0)
                    merges.Add((s[..sp], s[(sp + 1)..]));
                else throw new InvalidDataException($"{path}: model.merges[{i}] is neither \"a b\" nor [a, b]");
            }
        }
        var added = new List<(string, int, bool)>();
        if (root["added_tokens"] is JsonArray addedArray)
            foreach (var a in addedArray.OfType<JsonObject>())
                added.Add((a["content"]!.GetValue<string>(), a["id"]!.GetValue<int>(), a["special"]?.GetValue<bool>() ?? false));
        var steps = PreTokenizerStep.Parse(root["pre_tokenizer"], path);
        return new ByteLevelBpeTokenizer(vocab, merges, added, steps);
    }

    /// <summary>The <c>tokenizer.json</c> of this tokenizer (readable by Hugging Face tokenizers).</summary>
    public string ToJson()
    {
        var vocab = new JsonObject();
        foreach (var (tok, id) in _vocab.Where(kv => !_added.Any(a => a.Content == kv.Key)).OrderBy(kv => kv.Value)) vocab[tok] = id;
        var root = new JsonObject
        {
            ["version"] = "1.0",
            ["truncation"] = null,
            ["padding"] = null,
            ["added_tokens"] = new JsonArray(_added.Select(a => (JsonNode)new JsonObject
            {
                ["id"] = a.Id, ["content"] = a.Content, ["single_word"] = false, ["lstrip"] = false, ["rstrip"] = false,
                ["normalized"] = false, ["special"] = a.Special,
            }).ToArray()),
            ["normalizer"] = null,
            ["pre_tokenizer"] = PreTokenizerStep.ToJson(_steps),
            ["post_processor"] = null,
            ["decoder"] = new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = true, ["trim_offsets"] = true, ["use_regex"] = true },
            ["model"] = new JsonObject
            {
                ["type"] = "BPE", ["dropout"] = null, ["unk_token"] = null, ["continuing_subword_prefix"] = null,
                ["end_of_word_suffix"] = null, ["fuse_unk"] = false, ["byte_fallback"] = false,
                ["vocab"] = vocab,
                ["merges"] = new JsonArray(Merges.Select(m => (JsonNode)JsonValue.Create($"{m.Left} {m.Right}")!).ToArray()),
            },
        };
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = false, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
    }
}

/// <summary>One pre-tokenizer of a <c>tokenizer.json</c>: splits a piece of text into smaller pieces.</summary>
public abstract record PreTokenizerStep
{
    public abstract IEnumerable<string> Split(string text);
    internal abstract JsonObject ToJson();

    /// <summary>Digits: every digit its own piece (individual_digits) or runs of digits.</summary>
    public sealed record Digits(bool Individual) : PreTokenizerStep
    {
        private static readonly Regex One = new(@"\p{Nd}", RegexOptions.CultureInvariant);
        private static readonly Regex Run = new(@"\p{Nd}+", RegexOptions.CultureInvariant);
        public override IEnumerable<string> Split(string text) => Isolate(text, Individual ? One : Run);
        internal override JsonObject ToJson() => new() { ["type"] = "Digits", ["individual_digits"] = Individual };
    }

    /// <summary>Split by a regex, matches isolated as their own pieces (behaviour "Isolated").</summary>
    public sealed record RegexSplit(string Pattern) : PreTokenizerStep
    {
        private readonly Regex _regex = new(Pattern, RegexOptions.CultureInvariant);
        public override IEnumerable<string> Split(string text) => Isolate(text, _regex);
        internal override JsonObject ToJson() => new()
        {
            ["type"] = "Split", ["pattern"] = new JsonObject { ["Regex"] = Pattern }, ["behavior"] = "Isolated", ["invert"] = false,
        };
    }

    /// <summary>ByteLevel: optionally a leading space, optionally GPT-2's regex split (bytes are mapped later).</summary>
    public sealed record ByteLevel(bool AddPrefixSpace, bool UseRegex) : PreTokenizerStep
    {
        private static readonly Regex Gpt2 = new(ByteLevelBpeTokenizer.Gpt2Pattern, RegexOptions.CultureInvariant);
        public override IEnumerable<string> Split(string text)
        {
            if (AddPrefixSpace && !text.StartsWith(' ')) text = " " + text;
            return UseRegex ? Gpt2.Matches(text).Select(m => m.Value) : [text];
        }
        internal override JsonObject ToJson() => new()
        {
            ["type"] = "ByteLevel", ["add_prefix_space"] = AddPrefixSpace, ["trim_offsets"] = true, ["use_regex"] = UseRegex,
        };
    }

    private static IEnumerable<string> Isolate(string text, Regex regex)
    {
        int at = 0;
        foreach (Match m in regex.Matches(text))
        {
            if (m.Length == 0) continue;
            if (m.Index > at) yield return text[at..m.Index];
            yield return m.Value;
            at = m.Index + m.Length;
        }
        if (at < text.Length) yield return text[at..];
    }

    internal static JsonNode? ToJson(IReadOnlyList<PreTokenizerStep> steps) => steps.Count switch
    {
        0 => null,
        1 => steps[0].ToJson(),
        _ => new JsonObject { ["type"] = "Sequence", ["pretokenizers"] = new JsonArray(steps.Select(s => (JsonNode)s.ToJson()).ToArray()) },
    };

    internal static List<PreTokenizerStep> Parse(JsonNode? node, string path)
    {
        var steps = new List<PreTokenizerStep>();
        if (node is null) return steps;
        if (node is not JsonObject o) throw new InvalidDataException($"{path}: pre_tokenizer is not an object");
        string type = o["type"]?.GetValue<string>() ?? "";
        switch (type)
        {
            case "Sequence":
                foreach (var child in o["pretokenizers"] as JsonArray ?? []) steps.AddRange(Parse(child, path));
                break;
            case "ByteLevel":
                steps.Add(new ByteLevel(o["add_prefix_space"]?.GetValue<bool>() ?? false, o["use_regex"]?.GetValue<bool>() ?? true));
                break;
            case "Digits":
                steps.Add(new Digits(o["individual_digits"]?.GetValue<bool>() ?? false));
                break;
            case "Split":
                var behaviour = o["behavior"]?.GetValue<string>();
                if (behaviour != "Isolated" || (o["invert"]?.GetValue<bool>() ?? false))
                    throw new InvalidDataException($"{path}: Split pre-tokenizer with behavior \"{behaviour}\" is not supported (only Isolated, not inverted)");
                var pattern = (o["pattern"] as JsonObject)?["Regex"]?.GetValue<string>()
                    ?? ((o["pattern"] as JsonObject)?["String"]?.GetValue<string>() is { } s ? Regex.Escape(s) : null)
                    ?? throw new InvalidDataException($"{path}: Split pre-tokenizer has no pattern");
                steps.Add(new RegexSplit(pattern));
                break;
            default:
                throw new InvalidDataException($"{path}: pre_tokenizer type \"{type}\" is not supported (Sequence, ByteLevel, Digits, Split)");
        }
        return steps;
    }
}
