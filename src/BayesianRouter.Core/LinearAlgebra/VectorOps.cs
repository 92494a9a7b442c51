using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace BayesianRouter.LinearAlgebra;

/// <summary>Small dense vector kernels (System.Numerics.Vector, fused multiply-add) for the routing core.</summary>
public static class VectorOps
{
    /// <summary>Sum of x[i] * y[i].</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static double Dot(ReadOnlySpan<double> x, ReadOnlySpan<double> y)
    {
        if (x.Length != y.Length) throw new ArgumentException($"lengths differ: {x.Length} and {y.Length}");
        int n = x.Length, w = Vector<double>.Count, i = 0;
        ref double xr = ref MemoryMarshal.GetReference(x);
        ref double yr = ref MemoryMarshal.GetReference(y);
        var a0 = Vector<double>.Zero;
        var a1 = Vector<double>.Zero;
        for (; i + 2 * w <= n; i += 2 * w)
        {
            a0 = Vector.FusedMultiplyAdd(Vector.LoadUnsafe(ref xr, (nuint)i), Vector.LoadUnsafe(ref yr, (nuint)i), a0);
            a1 = Vector.FusedMultiplyAdd(Vector.LoadUnsafe(ref xr, (nuint)(i + w)), Vector.LoadUnsafe(ref yr, (nuint)(i + w)), a1);
        }
        for (; i + w <= n; i += w)
            a0 = Vector.FusedMultiplyAdd(Vector.LoadUnsafe(ref xr, (nuint)i), Vector.LoadUnsafe(ref yr, (nuint)i), a0);
        double s = Vector.Sum(a0 + a1);
        for (; i < n; i++) s = Math.FusedMultiplyAdd(Unsafe.Add(ref xr, i), Unsafe.Add(ref yr, i), s);
        return s;
    }

    /// <summary>y += a * x.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Axpy(double a, ReadOnlySpan<double> x, Span<double> y)
    {
        if (x.Length != y.Length) throw new ArgumentException($"lengths differ: {x.Length} and {y.Length}");
        int n = x.Length, w = Vector<double>.Count, i = 0;
        ref double xr = ref MemoryMarshal.GetReference(x);
        ref double yr = ref MemoryMarshal.GetReference(y);
        var av = new Vector<double>(a);
        for (; i + w <= n; i += w)
            Vector.FusedMultiplyAdd(av, Vector.LoadUnsafe(ref xr, (nuint)i), Vector.LoadUnsafe(ref yr, (nuint)i)).StoreUnsafe(ref yr, (nuint)i);
        for (; i < n; i++) Unsafe.Add(ref yr, i) = Math.FusedMultiplyAdd(a, Unsafe.Add(ref xr, i), Unsafe.Add(ref yr, i));
    }

    /// <summary>True when every value is finite (no NaN, no infinity).</summary>
    public static bool AllFinite(ReadOnlySpan<double> x)
    {
        foreach (var v in x) if (!double.IsFinite(v)) return false;
        return true;
    }
}
