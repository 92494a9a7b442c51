namespace BayesianRouter.RewardModels.Serving;

/// <summary>
/// A misbehaviour the recorded-RM server can put on: for fault tests of what calls RMs. Set for the whole server
/// (<c>rm-serve --fault</c>, <see cref="RecordedRmServer.Fault"/>, switchable while it runs) or per request with the
/// header <see cref="RecordedRmServer.FaultHeader"/>.
/// </summary>
public enum RmFault
{
    /// <summary>Answer as recorded.</summary>
    None,

    /// <summary>Never answer (hold the request until the client gives up or the server stops).</summary>
    Timeout,

    /// <summary>HTTP 500 with an error body.</summary>
    ServerError,

    /// <summary>HTTP 200 with a body that is not valid JSON (cut off in the middle).</summary>
    Malformed,

    /// <summary>HTTP 200 with NaN scores written as Python's json writes them (a bare NaN); a judge answers "NaN".</summary>
    NaN,
}

public static class RmFaults
{
    /// <summary>The spellings of the faults (<c>--fault</c>, the fault header).</summary>
    public static IReadOnlyDictionary<string, RmFault> ByName { get; } = new Dictionary<string, RmFault>(StringComparer.OrdinalIgnoreCase)
    {
        ["none"] = RmFault.None,
        ["timeout"] = RmFault.Timeout,
        ["500"] = RmFault.ServerError,
        ["malformed"] = RmFault.Malformed,
        ["nan"] = RmFault.NaN,
    };

    public static bool TryParse(string? text, out RmFault fault)
    {
        fault = RmFault.None;
        return text is not null && ByName.TryGetValue(text.Trim(), out fault);
    }

    public static string ToName(this RmFault fault) => ByName.First(kv => kv.Value == fault).Key;
}
