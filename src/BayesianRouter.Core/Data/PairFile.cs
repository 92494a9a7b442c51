using System.Text;
using System.Text.Json;
using BayesianRouter.IO;

namespace BayesianRouter.Data;

/// <summary>
/// The pair file: JSON Lines, one <see cref="PreferencePair"/> per line (README, "The pair file").
/// Reading is strict and streaming; writing is atomic.
/// </summary>
public static class PairFile
{
    /// <summary>
    /// Streams the pairs of a file. Throws <see cref="PairFileException"/> naming the file and line at the first
    /// malformed line, duplicate id, non-finite score or unknown verdict. Blank lines are skipped.
    /// </summary>
    public static IEnumerable<PreferencePair> Read(string path)
    {
        if (!File.Exists(path)) throw new PairFileException(path, 0, "no such file");
        return ReadLines(path, () => File.OpenRead(path));
    }

    /// <summary>Reads every pair into memory (same checks as <see cref="Read"/>).</summary>
    public static List<PreferencePair> ReadAll(string path) => Read(path).ToList();

    /// <summary>Streams the pairs of any stream; <paramref name="name"/> names it in error messages.</summary>
    public static IEnumerable<PreferencePair> ReadLines(string name, Func<Stream> open)
    {
        var ids = new HashSet<string>(StringComparer.Ordinal);
        using var reader = new StreamReader(open(), Encoding.UTF8);
        long lineNo = 0;
        string? line;
        while ((line = reader.ReadLine()) != null)
        {
            lineNo++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            PreferencePair pair;
            try
            {
                pair = Parse(line);
            }
            catch (JsonException e)
            {
                throw new PairFileException(name, lineNo, DescribeJsonError(line, e), e);
            }
            catch (FormatException e)
            {
                throw new PairFileException(name, lineNo, e.Message, e);
            }
            if (!ids.Add(pair.Id)) throw new PairFileException(name, lineNo, $"duplicate id \"{pair.Id}\"");
            yield return pair;
        }
    }

    /// <summary>The fields a pair line may have; any other field is refused (a misspelt "preferred" must not pass).</summary>
    public static IReadOnlyList<string> Fields { get; } =
        ["id", "group", "prompt", "response_a", "response_b", "preferred", "domain", "judgments", "routing"];

    /// <summary>The fields of a pair's <c>routing</c> object.</summary>
    public static IReadOnlyList<string> RoutingFields { get; } =
        ["decision_id", "chosen", "probability", "rm", "label", "fallback_from", "error", "features_hash"];

    /// <summary>Strict JSON: no comments, no trailing commas, no property given twice.</summary>
    internal static readonly JsonDocumentOptions StrictJson = new()
    {
        AllowTrailingCommas = false,
        CommentHandling = JsonCommentHandling.Disallow,
        AllowDuplicateProperties = false,
    };

    /// <summary>Parses one line; throws <see cref="FormatException"/> (what is wrong) or <see cref="JsonException"/>.</summary>
    public static PreferencePair Parse(string line)
    {
        using var doc = JsonDocument.Parse(line, StrictJson);
        var root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Object) throw new FormatException($"a line must be a JSON object, got {root.ValueKind.ToString().ToLowerInvariant()}");
        foreach (var field in root.EnumerateObject())
            if (!Fields.Contains(field.Name))
                throw new FormatException($"unknown field \"{field.Name}\" (a pair has: {string.Join(", ", Fields)})");

        string id = RequiredString(root, "id");
        if (id.Length == 0) throw new FormatException("field \"id\" is empty");
        string prompt = RequiredString(root, "prompt");
        string responseA = OptionalString(root, "response_a") ?? throw new FormatException("missing field \"response_a\" (use \"\" when unknown)");
        string responseB = OptionalString(root, "response_b") ?? throw new FormatException("missing field \"response_b\" (use \"\" when unknown)");
        string group = OptionalString(root, "group") ?? PreferencePair.GroupOf(prompt);
        string? domain = OptionalString(root, "domain");

        Preference? preferred = null;
        var pref = OptionalString(root, "preferred");
        if (pref != null)
        {
            if (pref == "a") preferred = Preference.A;
            else if (pref == "b") preferred = Preference.B;
            else throw new FormatException($"field \"preferred\" must be \"a\" or \"b\", got \"{pref}\"");
        }

        var judgments = new Dictionary<string, Judgment>(StringComparer.Ordinal);
        if (root.TryGetProperty("judgments", out var js) && js.ValueKind != JsonValueKind.Null)
        {
            if (js.ValueKind != JsonValueKind.Object) throw new FormatException("field \"judgments\" must be an object");
            foreach (var rm in js.EnumerateObject())
            {
                if (judgments.ContainsKey(rm.Name)) throw new FormatException($"judgments: RM \"{rm.Name}\" appears twice");
                judgments[rm.Name] = ParseJudgment(rm.Name, rm.Value);
            }
        }

        RoutingRecord? routing = null;
        if (root.TryGetProperty("routing", out var rt) && rt.ValueKind != JsonValueKind.Null) routing = ParseRouting(rt);

        return new PreferencePair
        {
            Routing = routing,
            Id = id,
            Group = group,
            Prompt = prompt,
            ResponseA = responseA,
            ResponseB = responseB,
            Preferred = preferred,
            Domain = domain,
            Judgments = judgments,
        };
    }

    private static RoutingRecord ParseRouting(JsonElement e)
    {
        if (e.ValueKind != JsonValueKind.Object) throw new FormatException("field \"routing\" must be an object");
        foreach (var field in e.EnumerateObject())
            if (!RoutingFields.Contains(field.Name))
                throw new FormatException($"routing: unknown field \"{field.Name}\" (routing has: {string.Join(", ", RoutingFields)})");
        string Required(string name) => OptionalString(e, name) is { } v ? v : throw new FormatException($"routing: missing field \"{name}\"");
        if (!e.TryGetProperty("probability", out var p) || p.ValueKind != JsonValueKind.Number || !p.TryGetDouble(out var probability)
            || !(probability > 0 && probability <= 1))
            throw new FormatException("routing.probability must be a number in (0, 1]");
        Preference? label = null;
        if (OptionalString(e, "label") is { } l)
            label = PreferenceText.TryParse(l, out var pl) ? pl : throw new FormatException($"routing.label must be \"a\", \"b\" or \"tie\", got \"{l}\"");
        var fallbacks = new List<(string, string)>();
        if (e.TryGetProperty("fallback_from", out var fb) && fb.ValueKind != JsonValueKind.Null)
        {
            if (fb.ValueKind != JsonValueKind.Array) throw new FormatException("routing.fallback_from must be an array");
            foreach (var item in fb.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.Object || OptionalString(item, "rm") is not { } rm || OptionalString(item, "reason") is not { } reason)
                    throw new FormatException("routing.fallback_from items must be {\"rm\": ..., \"reason\": ...}");
                fallbacks.Add((rm, reason));
            }
        }
        return new RoutingRecord
        {
            DecisionId = Required("decision_id"),
            Chosen = Required("chosen"),
            Probability = probability,
            Rm = OptionalString(e, "rm"),
            Label = label,
            FallbackFrom = fallbacks,
            Error = OptionalString(e, "error"),
            FeaturesHash = Required("features_hash"),
        };
    }

    private static Judgment ParseJudgment(string rm, JsonElement e)
    {
        if (e.ValueKind != JsonValueKind.Object) throw new FormatException($"judgments.{rm} must be an object");
        bool hasVerdict = e.TryGetProperty("verdict", out var v);
        bool hasA = e.TryGetProperty("score_a", out var sa);
        bool hasB = e.TryGetProperty("score_b", out var sb);
        foreach (var field in e.EnumerateObject())
            if (field.Name is not ("verdict" or "score_a" or "score_b"))
                throw new FormatException($"judgments.{rm}: unknown field \"{field.Name}\" (a judgment has \"score_a\" and \"score_b\", or \"verdict\")");
        if (hasVerdict && (hasA || hasB))
            throw new FormatException($"judgments.{rm} has both a verdict and scores");
        if (hasVerdict)
        {
            if (v.ValueKind != JsonValueKind.String || !PreferenceText.TryParse(v.GetString(), out var p))
                throw new FormatException($"judgments.{rm}.verdict must be \"a\", \"b\" or \"tie\", got {v.GetRawText()}");
            return Judgment.FromVerdict(p);
        }
        if (!hasA || !hasB) throw new FormatException($"judgments.{rm} needs \"score_a\" and \"score_b\", or \"verdict\"");
        return Judgment.FromScores(Score(rm, "score_a", sa), Score(rm, "score_b", sb));
    }

    private static double Score(string rm, string field, JsonElement e)
    {
        // Non-finite numbers cannot be written as JSON numbers; NaN/Infinity as strings are rejected here too.
        if (e.ValueKind != JsonValueKind.Number)
            throw new FormatException($"judgments.{rm}.{field} must be a finite number, got {e.GetRawText()}");
        double x = e.GetDouble();
        if (!double.IsFinite(x)) throw new FormatException($"judgments.{rm}.{field} is not finite ({e.GetRawText()})");
        return x;
    }

    /// <summary>
    /// What is wrong with a line that is not valid JSON. Python's json module writes NaN and Infinity as bare
    /// words, so a non-finite score usually arrives here rather than as a number: name it as such.
    /// </summary>
    internal static string DescribeJsonError(string line, JsonException e)
    {
        if (e.BytePositionInLine is { } pos)
        {
            var bytes = Encoding.UTF8.GetBytes(line);
            for (long start = Math.Max(0, pos - 1); start <= pos && start < bytes.Length; start++)
            {
                var rest = Encoding.UTF8.GetString(bytes, (int)start, (int)Math.Min(10, bytes.Length - start));
                if (rest.StartsWith("NaN", StringComparison.Ordinal) || rest.StartsWith("Infinity", StringComparison.Ordinal) || rest.StartsWith("-Infinity", StringComparison.Ordinal))
                    return $"non-finite number ({rest.Split([',', '}', ' ', ']'])[0]}) at byte {start + 1}: scores must be finite numbers";
            }
        }
        return $"not valid JSON: {JsonErrorText.Describe(Encoding.UTF8.GetBytes(line), e, withLine: false)}";
    }

    private static string RequiredString(JsonElement root, string name) =>
        OptionalString(root, name) ?? throw new FormatException($"missing field \"{name}\"");

    private static string? OptionalString(JsonElement root, string name)
    {
        if (!root.TryGetProperty(name, out var e) || e.ValueKind == JsonValueKind.Null) return null;
        if (e.ValueKind != JsonValueKind.String) throw new FormatException($"field \"{name}\" must be a string, got {e.GetRawText()}");
        return e.GetString()!;
    }

    /// <summary>Writes pairs atomically (temporary file, then rename). Duplicate ids are refused.</summary>
    public static int Write(string path, IEnumerable<PreferencePair> pairs)
    {
        int n = 0;
        AtomicFile.Write(path, stream =>
        {
            var ids = new HashSet<string>(StringComparer.Ordinal);
            using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = false, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
            foreach (var p in pairs)
            {
                if (!ids.Add(p.Id)) throw new InvalidOperationException($"duplicate pair id \"{p.Id}\"");
                WritePair(w, p);
                w.Flush();
                stream.WriteByte((byte)'\n');
                w.Reset();
                n++;
            }
        });
        return n;
    }

    /// <summary>One pair as one JSON line (no newline).</summary>
    public static string Format(PreferencePair pair)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
            WritePair(w, pair);
        return Encoding.UTF8.GetString(ms.ToArray());
    }

    private static void WritePair(Utf8JsonWriter w, PreferencePair p)
    {
        w.WriteStartObject();
        w.WriteString("id", p.Id);
        w.WriteString("group", p.Group);
        w.WriteString("prompt", p.Prompt);
        w.WriteString("response_a", p.ResponseA);
        w.WriteString("response_b", p.ResponseB);
        if (p.Preferred is { } pref)
        {
            if (pref == Preference.Tie) throw new InvalidOperationException($"pair \"{p.Id}\": the ground truth must be a or b, never a tie");
            w.WriteString("preferred", pref.ToText());
        }
        if (p.Domain != null) w.WriteString("domain", p.Domain);
        if (p.Judgments.Count > 0)
        {
            w.WriteStartObject("judgments");
            foreach (var (rm, j) in p.Judgments)
            {
                w.WriteStartObject(rm);
                if (j.Verdict is { } v) w.WriteString("verdict", v.ToText());
                else
                {
                    w.WriteNumber("score_a", j.ScoreA!.Value);
                    w.WriteNumber("score_b", j.ScoreB!.Value);
                }
                w.WriteEndObject();
            }
            w.WriteEndObject();
        }
        if (p.Routing is { } r)
        {
            w.WriteStartObject("routing");
            w.WriteString("decision_id", r.DecisionId);
            w.WriteString("chosen", r.Chosen);
            w.WriteNumber("probability", r.Probability);
            if (r.Rm is null) w.WriteNull("rm");
            else w.WriteString("rm", r.Rm);
            if (r.Label is { } label) w.WriteString("label", label.ToText());
            else w.WriteNull("label");
            if (r.FallbackFrom.Count > 0)
            {
                w.WriteStartArray("fallback_from");
                foreach (var (rm, reason) in r.FallbackFrom)
                {
                    w.WriteStartObject();
                    w.WriteString("rm", rm);
                    w.WriteString("reason", reason);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
            }
            if (r.Error != null) w.WriteString("error", r.Error);
            w.WriteString("features_hash", r.FeaturesHash);
            w.WriteEndObject();
        }
        w.WriteEndObject();
    }
}
