using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace BayesianRouter.Service;

/// <summary>A request body that ended before it was complete (the client went away or sent less than it announced).</summary>
internal sealed class BodyCutShortException(string message, Exception inner) : Exception(message, inner);

/// <summary>
/// Reads a request body (Kestrel enforces the size limit) and parses it as JSON, describing malformed JSON in the
/// service's own words: where it breaks (line and byte) and what was found there, never the JSON reader's text.
/// </summary>
internal static class RequestBody
{
    public static async Task<byte[]> ReadAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream(request.ContentLength is > 0 and < 1 << 20 ? (int)request.ContentLength : 4096);
        try
        {
            await request.Body.CopyToAsync(buffer, cancellationToken).ConfigureAwait(false);
        }
        catch (BadHttpRequestException e) when (e.StatusCode != StatusCodes.Status413PayloadTooLarge)
        {
            throw new BodyCutShortException("the request body ended before it was complete", e);
        }
        catch (IOException e) when (e is not BadHttpRequestException)
        {
            throw new BodyCutShortException("the connection closed while the request body was read", e);
        }
        return buffer.ToArray();
    }

    /// <summary>Parses <paramref name="body"/>; malformed JSON is a <see cref="RequestFieldException"/> on <c>$</c>.</summary>
    public static JsonDocument Parse(byte[] body)
    {
        if (body.AsSpan().Trim(" \t\r\n"u8).IsEmpty) throw new RequestFieldException("$", "the body is empty: send a JSON object");
        try
        {
            return JsonDocument.Parse(body, new JsonDocumentOptions { AllowTrailingCommas = false, CommentHandling = JsonCommentHandling.Disallow, MaxDepth = 64 });
        }
        catch (JsonException e)
        {
            throw new RequestFieldException("$", Describe(body, e.LineNumber, e.BytePositionInLine));
        }
    }

    /// <summary>Where the JSON breaks and what stands there (lines and bytes counted from 1).</summary>
    internal static string Describe(byte[] body, long? lineNumber, long? bytePosition)
    {
        long line = lineNumber ?? 0, column = bytePosition ?? 0;
        int start = 0;
        for (long l = 0; l < line && start < body.Length; l++)
        {
            int next = Array.IndexOf(body, (byte)'\n', start);
            if (next < 0) break;
            start = next + 1;
        }
        long offset = start + column;
        string where = $"line {line + 1}, byte {column + 1}";
        var rest = offset < body.Length ? body.AsSpan((int)offset).TrimEnd(" \t\r\n"u8) : [];
        if (rest.IsEmpty) return $"the body is not valid JSON: it ends before the JSON value is complete ({where})";
        byte b = rest[0];
        string found = b == (byte)'\'' ? "\"'\"" : b is >= 0x20 and < 0x7f ? $"'{(char)b}'" : $"the byte 0x{b:x2}";
        string hint = b switch
        {
            (byte)'N' or (byte)'I' => " (JSON has no NaN or Infinity: numbers must be finite)",
            (byte)'\'' => " (JSON strings take double quotes)",
            (byte)'/' => " (JSON has no comments)",
            (byte)'}' or (byte)']' => " (a comma before a closing bracket, or a missing value?)",
            >= 0x80 => " (the body must be UTF-8)",
            _ => "",
        };
        return $"the body is not valid JSON: unexpected {found} at {where}{hint}";
    }
}
