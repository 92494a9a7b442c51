namespace BayesianRouter.State;

/// <summary>Reading helpers for checkpoint sections: every value is checked before a learner trusts it.</summary>
public static class StateIO
{
    public static void WriteArray(this BinaryWriter w, ReadOnlySpan<double> values)
    {
        w.Write(values.Length);
        foreach (var v in values) w.Write(v);
    }

    /// <summary>Reads an array written by <see cref="WriteArray"/>, checking its length and that every value is finite.</summary>
    public static double[] ReadArray(this BinaryReader r, int expectedLength, string what)
    {
        int n = r.ReadInt32();
        if (n != expectedLength) throw new InvalidDataException($"{what} has {n} values, {expectedLength} expected");
        var a = new double[n];
        for (int i = 0; i < n; i++)
        {
            a[i] = r.ReadDouble();
            if (!double.IsFinite(a[i])) throw new InvalidDataException($"{what} holds a non-finite value at index {i}");
        }
        return a;
    }

    /// <summary>Reads an array written by <see cref="WriteArray"/> of any length that fits the stream, every value finite.</summary>
    public static double[] ReadArray(this BinaryReader r, string what)
    {
        int n = r.ReadInt32();
        if (n < 0 || n > (r.BaseStream.Length - r.BaseStream.Position) / sizeof(double))
            throw new InvalidDataException($"{what}: length {n} does not fit the file");
        var a = new double[n];
        for (int i = 0; i < n; i++)
        {
            a[i] = r.ReadDouble();
            if (!double.IsFinite(a[i])) throw new InvalidDataException($"{what} holds a non-finite value at index {i}");
        }
        return a;
    }

    /// <summary>Reads an int and checks it equals the value this learner was built with.</summary>
    public static int ReadExpected(this BinaryReader r, int expected, string what)
    {
        int v = r.ReadInt32();
        if (v != expected) throw new InvalidDataException($"checkpoint has {what} = {v}, this instance has {expected}");
        return v;
    }

    /// <summary>Reads a double and checks it equals (bit for bit) the value this learner was built with.</summary>
    public static double ReadExpected(this BinaryReader r, double expected, string what)
    {
        double v = r.ReadDouble();
        if (BitConverter.DoubleToInt64Bits(v) != BitConverter.DoubleToInt64Bits(expected))
            throw new InvalidDataException($"checkpoint has {what} = {v}, this instance has {expected}");
        return v;
    }
}
