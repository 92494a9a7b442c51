namespace BayesianRouter.Data;

/// <summary>Which response of a pair a judge prefers. A tie is a judgment, but never a "right" one.</summary>
public enum Preference
{
    A,
    B,
    Tie,
}

public static class PreferenceText
{
    /// <summary>The pair-file spelling: "a", "b" or "tie".</summary>
    public static string ToText(this Preference p) => p switch
    {
        Preference.A => "a",
        Preference.B => "b",
        _ => "tie",
    };

    public static bool TryParse(string? text, out Preference preference)
    {
        switch (text)
        {
            case "a": preference = Preference.A; return true;
            case "b": preference = Preference.B; return true;
            case "tie": preference = Preference.Tie; return true;
            default: preference = Preference.Tie; return false;
        }
    }
}
