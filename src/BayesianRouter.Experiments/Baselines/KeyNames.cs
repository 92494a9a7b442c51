using BayesianRouter.State;

namespace BayesianRouter.Baselines;

/// <summary>
/// The names (domains or prompts) a keyed baseline has met and their ids, in the order met (part of its saved state).
/// A name not met yet gets <see cref="Unseen"/> when it is not interned (a decision-only context).
/// </summary>
internal sealed class KeyNames
{
    public const int Unknown = -1;
    public const int Unseen = -2;

    private readonly List<string> _names = [];
    private readonly Dictionary<string, int> _ids = new(StringComparer.Ordinal);

    public int Count => _names.Count;

    public string this[int id] => _names[id];

    public int Id(string? name, bool intern)
    {
        if (name == null) return Unknown;
        if (_ids.TryGetValue(name, out var id)) return id;
        if (!intern) return Unseen;
        _ids[name] = _names.Count;
        _names.Add(name);
        return _names.Count - 1;
    }

    public void Write(BinaryWriter w)
    {
        w.Write(_names.Count);
        foreach (var s in _names) w.Write(s);
    }

    /// <summary>Reads a table written by <see cref="Write"/>; nothing changes until the returned table replaces this one.</summary>
    public static KeyNames Read(BinaryReader r, string what)
    {
        int count = r.ReadInt32();
        if (count < 0) throw new InvalidDataException($"negative {what} count");
        var t = new KeyNames();
        for (int i = 0; i < count; i++)
            if (t.Id(r.ReadString(), intern: true) != i) throw new InvalidDataException($"a {what} name appears twice");
        return t;
    }

    /// <summary>
    /// [h; domain id; prompt id] for a keyed baseline: the ids from <paramref name="domains"/> and <paramref name="prompts"/>.
    /// </summary>
    public static double[] Context(double[] h, int featureDimension, KeyNames domains, string? domain, KeyNames prompts, string? prompt, bool intern)
    {
        ArgumentNullException.ThrowIfNull(h);
        if (h.Length != featureDimension) throw new ArgumentException($"h has dimension {h.Length}, expected {featureDimension}");
        var x = new double[featureDimension + 2];
        h.CopyTo(x, 0);
        x[featureDimension] = domains.Id(domain, intern);
        x[featureDimension + 1] = prompts.Id(prompt, intern);
        return x;
    }

    /// <summary>The id at <paramref name="index"/> of a context, checked against this table (decisions may carry <see cref="Unseen"/>).</summary>
    public int Check(double[] x, int index, bool allowUnseen, int item)
    {
        double v = x[index];
        int lowest = allowUnseen ? Unseen : Unknown;
        if (v != Math.Floor(v) || v < lowest || v >= Count)
            throw new ArgumentException(!allowUnseen && v == Unseen
                ? $"context {item}: a decision-only context (a name not interned) cannot be learned from: make the feedback's context with Context(..., intern: true)"
                : $"context {item}: id {v} is not an id from Context()");
        return (int)v;
    }
}
