using System.Text;
using System.Text.Json;

namespace BayesianRouter.Data.Import;

/// <summary>One top-level record of a data file, with where it came from (for <c>FILE:LINE</c> messages).</summary>
public readonly record struct JsonRecord(string File, long Line, int Index, bool InArray, JsonElement Value)
{
    /// <summary>An error about this record: <c>FILE:LINE: [item N: ]problem</c>.</summary>
    public PairFileException Error(string problem) =>
        new(File, Line, InArray ? $"item {Index}: {problem}" : problem);

    /// <summary>A required string field.</summary>
    public string String(string field) => OptionalString(field) ?? throw Error($"missing field \"{field}\"");

    /// <summary>A string field that may be absent or null.</summary>
    public string? OptionalString(string field)
    {
        if (Value.ValueKind != JsonValueKind.Object) throw Error($"a record must be a JSON object, got {Value.ValueKind.ToString().ToLowerInvariant()}");
        if (!Value.TryGetProperty(field, out var e) || e.ValueKind == JsonValueKind.Null) return null;
        if (e.ValueKind != JsonValueKind.String) throw Error($"field \"{field}\" must be a string, got {Short(e)}");
        return e.GetString()!;
    }

    /// <summary>A required field of any kind.</summary>
    public JsonElement Field(string field)
    {
        if (Value.ValueKind != JsonValueKind.Object) throw Error($"a record must be a JSON object, got {Value.ValueKind.ToString().ToLowerInvariant()}");
        if (!Value.TryGetProperty(field, out var e) || e.ValueKind == JsonValueKind.Null) throw Error($"missing field \"{field}\"");
        return e;
    }

    public bool Has(string field) =>
        Value.ValueKind == JsonValueKind.Object && Value.TryGetProperty(field, out var e) && e.ValueKind != JsonValueKind.Null;

    /// <summary>A value's JSON text, cut short for messages.</summary>
    public static string Short(JsonElement e)
    {
        var raw = e.GetRawText();
        return raw.Length <= 60 ? raw : raw[..57] + "...";
    }
}

/// <summary>
/// Reads the records of a data file written either as one JSON array or as JSON Lines (one value per line),
/// whichever the file is: the first character that is not white space decides ('[' = array).
/// Strict JSON (no comments, no trailing commas, no duplicate properties); errors name the file and line.
/// </summary>
public static class JsonRecords
{
    public static IEnumerable<JsonRecord> Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such file", path);
        return IsArray(path) ? ReadArray(path) : ReadLines(path);
    }

    private static bool IsArray(string path)
    {
        using var reader = new StreamReader(path, Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        int c;
        while ((c = reader.Read()) >= 0)
            if (!char.IsWhiteSpace((char)c)) return c == '[';
        return false;
    }

    private static IEnumerable<JsonRecord> ReadLines(string path)
    {
        using var reader = new StreamReader(path, Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        long lineNo = 0;
        int index = 0;
        string? line;
        while ((line = reader.ReadLine()) != null)
        {
            lineNo++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            JsonElement value;
            try
            {
                using var doc = JsonDocument.Parse(line, PairFile.StrictJson);
                value = doc.RootElement.Clone();
            }
            catch (JsonException e)
            {
                throw new PairFileException(path, lineNo, PairFile.DescribeJsonError(line, e), e);
            }
            yield return new JsonRecord(path, lineNo, index++, false, value);
        }
    }

    private static IEnumerable<JsonRecord> ReadArray(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var (doc, lines) = ParseArray(path, bytes);
        using (doc)
        {
            int index = 0;
            foreach (var item in doc.RootElement.EnumerateArray())
            {
                yield return new JsonRecord(path, lines[index], index, true, item.Clone()); // valid after the document is disposed
                index++;
            }
        }
    }

    /// <summary>Parses the whole array and finds the line on which each item starts.</summary>
    private static (JsonDocument Doc, List<long> Lines) ParseArray(string path, byte[] bytes)
    {
        var span = bytes.AsSpan();
        if (span.StartsWith(Encoding.UTF8.Preamble)) span = span[Encoding.UTF8.Preamble.Length..];
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(span.ToArray(), PairFile.StrictJson);
        }
        catch (JsonException e)
        {
            throw new PairFileException(path, (e.LineNumber ?? -1) + 1, $"not valid JSON ({e.Message})", e);
        }

        // A second, cheap pass with the tokenizer: the start offset of every depth-1 value, turned into a line.
        var lines = new List<long>();
        var reader = new Utf8JsonReader(span, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow });
        long line = 1, counted = 0;
        while (reader.Read())
        {
            if (reader.CurrentDepth == 1 && reader.TokenType is not (JsonTokenType.EndArray or JsonTokenType.EndObject or JsonTokenType.PropertyName))
            {
                long start = reader.TokenStartIndex;
                line += span[(int)counted..(int)start].Count((byte)'\n');
                counted = start;
                lines.Add(line);
            }
            if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray && reader.CurrentDepth >= 1)
                reader.Skip();
        }
        if (doc.RootElement.ValueKind != JsonValueKind.Array)
        {
            doc.Dispose();
            throw new PairFileException(path, 1, "expected a JSON array or JSON Lines");
        }
        return (doc, lines);
    }
}
