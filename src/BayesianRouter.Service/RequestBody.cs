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
            throw new RequestFieldException("$", $"the body is not valid JSON: {Data.JsonErrorText.Describe(body, e)}");
        }
    }
}
