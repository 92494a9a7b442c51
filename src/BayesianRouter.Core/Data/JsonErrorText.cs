using System.Text.Json;
using System.Text.RegularExpressions;

namespace BayesianRouter.Data;

/// <summary>
/// Malformed JSON described in this project's words, on one line: where it breaks (line and byte, counted from 1) and
/// what stands there, with a hint for the usual causes (NaN, single quotes, comments, a trailing comma, a field twice),
/// never the JSON reader's own text. Used for request bodies, pool files and pair files.
/// </summary>
public static class JsonErrorText
{
    /// <summary>What is wrong in <paramref name="utf8"/> where <paramref name="error"/> says; <paramref name="withLine"/>:
    /// name the line too (a whole document; a pair file names its line itself).</summary>
    public static string Describe(ReadOnlySpan<byte> utf8, JsonException error, bool withLine = true)
    {
        ArgumentNullException.ThrowIfNull(error);
        long line = error.LineNumber ?? 0, column = error.BytePositionInLine ?? 0;
        string where = withLine ? $"line {line + 1}, byte {column + 1}" : $"byte {column + 1}";
        if (error.Message.Contains("uplicate", StringComparison.Ordinal))
        {
            var name = Regex.Match(error.Message, "'([^']*)'");
            return $"a field appears twice in one object{(name.Success ? $" (\"{name.Groups[1].Value}\")" : "")}, at {where}";
        }
        int start = 0;
        for (long l = 0; l < line && start < utf8.Length; l++)
        {
            int next = utf8[start..].IndexOf((byte)'\n');
            if (next < 0) break;
            start += next + 1;
        }
        long offset = start + column;
        var rest = offset < utf8.Length ? utf8[(int)offset..].TrimEnd(" \t\r\n"u8) : [];
        if (rest.IsEmpty) return $"it ends before the JSON value is complete ({where})";
        byte b = rest[0];
        string found = b == (byte)'\'' ? "\"'\"" : b is >= 0x20 and < 0x7f ? $"'{(char)b}'" : $"the byte 0x{b:x2}";
        string hint = b switch
        {
            (byte)'N' or (byte)'I' => " (JSON has no NaN or Infinity: numbers must be finite)",
            (byte)'\'' => " (JSON strings take double quotes)",
            (byte)'/' or (byte)'#' => " (JSON has no comments)",
            (byte)'}' or (byte)']' => " (a comma before a closing bracket, or a missing value?)",
            >= 0x80 => " (the text must be UTF-8)",
            _ => "",
        };
        return $"unexpected {found} at {where}{hint}";
    }
}
