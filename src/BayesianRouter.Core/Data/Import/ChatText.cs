using System.Text;
using System.Text.Json;

namespace BayesianRouter.Data.Import;

/// <summary>
/// Chat messages as the plain text a pair file holds. Public preference data gives prompts and responses either as
/// strings or as lists of <c>{"role", "content"}</c> messages (content a string, or a list of
/// <c>{"type": "text", "text"}</c> parts). One message becomes its content; several become
/// <c>role: content</c> blocks separated by a blank line, so multi-turn context stays readable.
/// </summary>
public static class ChatText
{
    /// <summary>A string, or a message list rendered as text.</summary>
    public static string Render(JsonRecord record, string field, JsonElement value)
    {
        if (value.ValueKind == JsonValueKind.String) return value.GetString()!;
        if (value.ValueKind == JsonValueKind.Array) return Render(record, field, Messages(record, field, value));
        throw record.Error($"field \"{field}\" must be a string or a list of chat messages, got {JsonRecord.Short(value)}");
    }

    /// <summary>Messages rendered as text (see the class summary).</summary>
    public static string Render(JsonRecord record, string field, IReadOnlyList<ChatMessage> messages)
    {
        if (messages.Count == 0) throw record.Error($"field \"{field}\" is an empty list of messages");
        if (messages.Count == 1) return messages[0].Content;
        var sb = new StringBuilder();
        foreach (var m in messages)
        {
            if (sb.Length > 0) sb.Append("\n\n");
            sb.Append(m.Role).Append(": ").Append(m.Content);
        }
        return sb.ToString();
    }

    /// <summary>Parses a list of chat messages.</summary>
    public static List<ChatMessage> Messages(JsonRecord record, string field, JsonElement list)
    {
        if (list.ValueKind != JsonValueKind.Array) throw record.Error($"field \"{field}\" must be a list of chat messages");
        var messages = new List<ChatMessage>();
        int i = 0;
        foreach (var m in list.EnumerateArray())
        {
            string where = $"{field}[{i++}]";
            if (m.ValueKind != JsonValueKind.Object) throw record.Error($"{where} must be a chat message object with \"role\" and \"content\"");
            if (!m.TryGetProperty("role", out var role) || role.ValueKind != JsonValueKind.String)
                throw record.Error($"{where} needs a string \"role\"");
            if (!m.TryGetProperty("content", out var content))
                throw record.Error($"{where} needs \"content\"");
            messages.Add(new ChatMessage(role.GetString()!, Content(record, where, content)));
        }
        return messages;
    }

    private static string Content(JsonRecord record, string where, JsonElement content)
    {
        switch (content.ValueKind)
        {
            case JsonValueKind.String:
                return content.GetString()!;
            case JsonValueKind.Array:
                var parts = new List<string>();
                foreach (var part in content.EnumerateArray())
                {
                    if (part.ValueKind == JsonValueKind.String) parts.Add(part.GetString()!);
                    else if (part.ValueKind == JsonValueKind.Object && part.TryGetProperty("text", out var t) && t.ValueKind == JsonValueKind.String)
                        parts.Add(t.GetString()!);
                    else throw record.Error($"{where}.content: only text parts are supported, got {JsonRecord.Short(part)}");
                }
                return string.Join("\n", parts);
            default:
                throw record.Error($"{where}.content must be a string or a list of text parts, got {JsonRecord.Short(content)}");
        }
    }
}

/// <summary>One chat turn.</summary>
public sealed record ChatMessage(string Role, string Content);
