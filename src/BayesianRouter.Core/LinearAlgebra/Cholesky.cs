using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace BayesianRouter.LinearAlgebra;

/// <summary>
/// Kernels on an upper-triangular Cholesky factor R of a symmetric positive definite matrix A = R^T R, stored
/// row-major in a full d x d array (entries below the diagonal are zero). Row k of R is contiguous, which is what
/// the rank-one update and the forward substitution of a transposed solve stream over.
/// </summary>
public static class Cholesky
{
    /// <summary>
    /// Overwrites the symmetric matrix <paramref name="a"/> (d x d, row-major; only the upper triangle is read)
    /// with its upper Cholesky factor R, A = R^T R. Throws <see cref="ArgumentException"/> if A is not positive
    /// definite. O(d^3 / 3).
    /// </summary>
    public static void Factor(Span<double> a, int d)
    {
        CheckSquare(a.Length, d);
        for (int k = 0; k < d; k++)
        {
            double akk = a[k * d + k];
            if (!(akk > 0) || !double.IsFinite(akk))
                throw new ArgumentException($"matrix is not positive definite (pivot {k} is {akk})");
            double rkk = Math.Sqrt(akk);
            a[k * d + k] = rkk;
            var row = a.Slice(k * d + k + 1, d - k - 1);
            double inv = 1.0 / rkk;
            for (int j = 0; j < row.Length; j++) row[j] *= inv;
            // Right-looking: A[i, i..] -= R[k, i] * R[k, i..] for the trailing upper triangle.
            for (int i = k + 1; i < d; i++)
            {
                double rki = a[k * d + i];
                if (rki != 0) VectorOps.Axpy(-rki, a.Slice(k * d + i, d - i), a.Slice(i * d + i, d - i));
            }
        }
        for (int i = 1; i < d; i++) a.Slice(i * d, i).Clear();
    }

    /// <summary>
    /// Rank-one update: replaces R by the factor of R^T R + x x^T, destroying <paramref name="x"/>. O(d^2), by a
    /// sequence of Givens rotations (LINPACK dchud). Each diagonal entry becomes hypot(R_kk, x_k) >= R_kk > 0, so a
    /// positive definite A stays positive definite by construction, however many updates are applied: nothing is
    /// subtracted and no covariance is ever formed.
    /// </summary>
    public static void RankOneUpdate(Span<double> r, int d, Span<double> x) => RankUpdate(r, d, x, 1);

    /// <summary>
    /// Applies the rank-one updates of the <paramref name="count"/> rows of <paramref name="xs"/> (count x d,
    /// destroyed), in order: R becomes the factor of R^T R + sum x_i x_i^T. Four updates share one pass over each
    /// row of R; the arithmetic per entry is the same as applying them one by one, so the result is bit-identical
    /// to <see cref="RankOneUpdate"/> called for each row in turn.
    /// </summary>
    public static void RankUpdate(Span<double> r, int d, Span<double> xs, int count)
    {
        CheckSquare(r.Length, d);
        if (count < 0 || xs.Length < count * d) throw new ArgumentException($"update vectors hold {xs.Length} values, {count} x {d} expected");
        ref double rr = ref MemoryMarshal.GetReference(r);
        ref double xr = ref MemoryMarshal.GetReference(xs);
        int i = 0;
        for (; i + 4 <= count; i += 4) Update4(ref rr, d, ref Unsafe.Add(ref xr, i * d));
        for (; i < count; i++) Update1(ref rr, d, ref Unsafe.Add(ref xr, i * d));
    }

    /// <summary>The rotation that zeroes x_k against R_kk: R_kk &lt;- hypot(R_kk, x_k), c = new/old, s = x_k/old, f = 1/c.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Rotation(ref double rkk, double xk, out double c, out double s, out double f)
    {
        if (xk == 0)
        {
            c = 1; s = 0; f = 1; // the identity
            return;
        }
        double rnew = double.Hypot(rkk, xk);
        c = rnew / rkk;
        s = xk / rkk;
        f = rkk / rnew;
        rkk = rnew;
    }

    /// <summary>R[k, j] &lt;- (R[k, j] + s x_j) / c ;  x_j &lt;- c x_j - s R[k, j] (the updated R[k, j]).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Rotate(ref double rkj, ref double xj, double c, double s, double f)
    {
        rkj = Math.FusedMultiplyAdd(s, xj, rkj) * f;
        xj = Math.FusedMultiplyAdd(-s, rkj, c * xj);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot from the first batch: no tier-0 code
    private static void Update1(ref double r, int d, ref double x0)
    {
        int w = Vector<double>.Count;
        for (int k = 0; k < d; k++)
        {
            ref double rowk = ref Unsafe.Add(ref r, k * d);
            double xk = Unsafe.Add(ref x0, k);
            if (xk == 0) continue;
            double rkk = Unsafe.Add(ref rowk, k);
            Rotation(ref rkk, xk, out double c0, out double s0, out double f0);
            Unsafe.Add(ref rowk, k) = rkk;
            var sv0 = new Vector<double>(s0);
            var cv0 = new Vector<double>(c0);
            var fv0 = new Vector<double>(f0);
            int jj = k + 1;
            for (; jj + w <= d; jj += w)
            {
                nuint j = (nuint)jj;
                var xv = Vector.LoadUnsafe(ref x0, j);
                var rv = Vector.FusedMultiplyAdd(sv0, xv, Vector.LoadUnsafe(ref rowk, j)) * fv0;
                Vector.FusedMultiplyAdd(-sv0, rv, cv0 * xv).StoreUnsafe(ref x0, j);
                rv.StoreUnsafe(ref rowk, j);
            }
            for (; jj < d; jj++) Rotate(ref Unsafe.Add(ref rowk, jj), ref Unsafe.Add(ref x0, jj), c0, s0, f0);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot from the first batch: no tier-0 code
    private static void Update4(ref double r, int d, ref double x0)
    {
        int w = Vector<double>.Count;
        ref double x1 = ref Unsafe.Add(ref x0, d);
        ref double x2 = ref Unsafe.Add(ref x0, 2 * d);
        ref double x3 = ref Unsafe.Add(ref x0, 3 * d);
        for (int k = 0; k < d; k++)
        {
            ref double rowk = ref Unsafe.Add(ref r, k * d);
            double rkk = Unsafe.Add(ref rowk, k);
            // The four rotations in order: each sees R_kk as the previous one left it, exactly as sequential updates do.
            Rotation(ref rkk, Unsafe.Add(ref x0, k), out double c0, out double s0, out double f0);
            Rotation(ref rkk, Unsafe.Add(ref x1, k), out double c1, out double s1, out double f1);
            Rotation(ref rkk, Unsafe.Add(ref x2, k), out double c2, out double s2, out double f2);
            Rotation(ref rkk, Unsafe.Add(ref x3, k), out double c3, out double s3, out double f3);
            Unsafe.Add(ref rowk, k) = rkk;
            var sv0 = new Vector<double>(s0); var cv0 = new Vector<double>(c0); var fv0 = new Vector<double>(f0);
            var sv1 = new Vector<double>(s1); var cv1 = new Vector<double>(c1); var fv1 = new Vector<double>(f1);
            var sv2 = new Vector<double>(s2); var cv2 = new Vector<double>(c2); var fv2 = new Vector<double>(f2);
            var sv3 = new Vector<double>(s3); var cv3 = new Vector<double>(c3); var fv3 = new Vector<double>(f3);
            int jj = k + 1;
            for (; jj + w <= d; jj += w)
            {
                nuint j = (nuint)jj;
                var rv = Vector.LoadUnsafe(ref rowk, j);
                var xv = Vector.LoadUnsafe(ref x0, j);
                rv = Vector.FusedMultiplyAdd(sv0, xv, rv) * fv0;
                Vector.FusedMultiplyAdd(-sv0, rv, cv0 * xv).StoreUnsafe(ref x0, j);
                xv = Vector.LoadUnsafe(ref x1, j);
                rv = Vector.FusedMultiplyAdd(sv1, xv, rv) * fv1;
                Vector.FusedMultiplyAdd(-sv1, rv, cv1 * xv).StoreUnsafe(ref x1, j);
                xv = Vector.LoadUnsafe(ref x2, j);
                rv = Vector.FusedMultiplyAdd(sv2, xv, rv) * fv2;
                Vector.FusedMultiplyAdd(-sv2, rv, cv2 * xv).StoreUnsafe(ref x2, j);
                xv = Vector.LoadUnsafe(ref x3, j);
                rv = Vector.FusedMultiplyAdd(sv3, xv, rv) * fv3;
                Vector.FusedMultiplyAdd(-sv3, rv, cv3 * xv).StoreUnsafe(ref x3, j);
                rv.StoreUnsafe(ref rowk, j);
            }
            for (; jj < d; jj++)
            {
                ref double rkj = ref Unsafe.Add(ref rowk, jj);
                Rotate(ref rkj, ref Unsafe.Add(ref x0, jj), c0, s0, f0);
                Rotate(ref rkj, ref Unsafe.Add(ref x1, jj), c1, s1, f1);
                Rotate(ref rkj, ref Unsafe.Add(ref x2, jj), c2, s2, f2);
                Rotate(ref rkj, ref Unsafe.Add(ref x3, jj), c3, s3, f3);
            }
        }
    }

    /// <summary>Solves R^T z = y in place (forward substitution).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot from the first batch: no tier-0 code
    public static void SolveTransposed(ReadOnlySpan<double> r, int d, Span<double> y)
    {
        CheckSquare(r.Length, d);
        if (y.Length != d) throw new ArgumentException($"right-hand side has length {y.Length}, expected {d}");
        for (int k = 0; k < d; k++)
        {
            double zk = y[k] / r[k * d + k];
            y[k] = zk;
            if (zk != 0) VectorOps.Axpy(-zk, r.Slice(k * d + k + 1, d - k - 1), y[(k + 1)..]);
        }
    }

    /// <summary>Solves R z = y in place (back substitution).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot from the first batch: no tier-0 code
    public static void Solve(ReadOnlySpan<double> r, int d, Span<double> y)
    {
        CheckSquare(r.Length, d);
        if (y.Length != d) throw new ArgumentException($"right-hand side has length {y.Length}, expected {d}");
        for (int k = d - 1; k >= 0; k--)
            y[k] = (y[k] - VectorOps.Dot(r.Slice(k * d + k + 1, d - k - 1), y[(k + 1)..])) / r[k * d + k];
    }

    /// <summary>
    /// For each of the <paramref name="count"/> rows h of <paramref name="rows"/> (count x d, row-major; overwritten
    /// as workspace) writes ||R^{-T} h||^2 = h^T A^{-1} h into <paramref name="squaredNorms"/>. O(count d^2 / 2),
    /// no factorisation. The solve x^T R = h^T runs for four rows of h at once and in column blocks of four: each
    /// block's solved entries, held in registers, update the trailing entries of all four rows in one pass, so each
    /// row of R is read once per four rows of h and each trailing entry is loaded and stored once per block.
    /// </summary>
    public static void InverseQuadraticForms(ReadOnlySpan<double> r, int d, Span<double> rows, int count, Span<double> squaredNorms)
    {
        CheckSquare(r.Length, d);
        if (rows.Length < count * d) throw new ArgumentException($"rows hold {rows.Length} values, {count} x {d} expected");
        if (squaredNorms.Length < count) throw new ArgumentException("output is shorter than the number of rows");
        ref double rr = ref MemoryMarshal.GetReference(r);
        ref double hr = ref MemoryMarshal.GetReference(rows);
        int p = 0;
        for (; p + 4 <= count; p += 4)
            Block4(ref rr, d, ref Unsafe.Add(ref hr, p * d), squaredNorms.Slice(p, 4));
        for (; p < count; p++)
            Block1(ref rr, d, ref Unsafe.Add(ref hr, p * d), out squaredNorms[p]);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot from the first batch: no tier-0 code
    private static void Block4(ref double r, int d, ref double y0, Span<double> norms)
    {
        int w = Vector<double>.Count;
        ref double y1 = ref Unsafe.Add(ref y0, d);
        ref double y2 = ref Unsafe.Add(ref y0, 2 * d);
        ref double y3 = ref Unsafe.Add(ref y0, 3 * d);
        double n0 = 0, n1 = 0, n2 = 0, n3 = 0;
        const int nb = 4;
        int k0 = 0;
        for (; k0 + nb <= d; k0 += nb)
        {
            // Column block [k0, k0 + 4): solve its 4 x 4 diagonal block for the four rows (scalar), then subtract the
            // block's contribution x[k0..k0+3] R[k0..k0+3, j] from every trailing entry j of the four rows.
            for (int k = k0; k < k0 + nb; k++)
            {
                ref double rowk = ref Unsafe.Add(ref r, k * d);
                double inv = 1.0 / Unsafe.Add(ref rowk, k);
                double x0 = Unsafe.Add(ref y0, k) *= inv; double x1 = Unsafe.Add(ref y1, k) *= inv;
                double x2 = Unsafe.Add(ref y2, k) *= inv; double x3 = Unsafe.Add(ref y3, k) *= inv;
                n0 += x0 * x0; n1 += x1 * x1; n2 += x2 * x2; n3 += x3 * x3;
                for (int j = k + 1; j < k0 + nb; j++)
                {
                    double rkj = Unsafe.Add(ref rowk, j);
                    Unsafe.Add(ref y0, j) -= x0 * rkj; Unsafe.Add(ref y1, j) -= x1 * rkj;
                    Unsafe.Add(ref y2, j) -= x2 * rkj; Unsafe.Add(ref y3, j) -= x3 * rkj;
                }
            }
            ref double ra = ref Unsafe.Add(ref r, k0 * d);
            ref double rb = ref Unsafe.Add(ref ra, d);
            ref double rc = ref Unsafe.Add(ref ra, 2 * d);
            ref double rd = ref Unsafe.Add(ref ra, 3 * d);
            var a0 = new Vector<double>(-Unsafe.Add(ref y0, k0)); var b0 = new Vector<double>(-Unsafe.Add(ref y0, k0 + 1));
            var c0 = new Vector<double>(-Unsafe.Add(ref y0, k0 + 2)); var d0 = new Vector<double>(-Unsafe.Add(ref y0, k0 + 3));
            var a1 = new Vector<double>(-Unsafe.Add(ref y1, k0)); var b1 = new Vector<double>(-Unsafe.Add(ref y1, k0 + 1));
            var c1 = new Vector<double>(-Unsafe.Add(ref y1, k0 + 2)); var d1 = new Vector<double>(-Unsafe.Add(ref y1, k0 + 3));
            var a2 = new Vector<double>(-Unsafe.Add(ref y2, k0)); var b2 = new Vector<double>(-Unsafe.Add(ref y2, k0 + 1));
            var c2 = new Vector<double>(-Unsafe.Add(ref y2, k0 + 2)); var d2 = new Vector<double>(-Unsafe.Add(ref y2, k0 + 3));
            var a3 = new Vector<double>(-Unsafe.Add(ref y3, k0)); var b3 = new Vector<double>(-Unsafe.Add(ref y3, k0 + 1));
            var c3 = new Vector<double>(-Unsafe.Add(ref y3, k0 + 2)); var d3 = new Vector<double>(-Unsafe.Add(ref y3, k0 + 3));
            int jj = k0 + nb;
            for (; jj + w <= d; jj += w)
            {
                nuint j = (nuint)jj;
                var ra_ = Vector.LoadUnsafe(ref ra, j); var rb_ = Vector.LoadUnsafe(ref rb, j);
                var rc_ = Vector.LoadUnsafe(ref rc, j); var rd_ = Vector.LoadUnsafe(ref rd, j);
                var v = Vector.LoadUnsafe(ref y0, j);
                v = Vector.FusedMultiplyAdd(a0, ra_, v); v = Vector.FusedMultiplyAdd(b0, rb_, v); v = Vector.FusedMultiplyAdd(c0, rc_, v); v = Vector.FusedMultiplyAdd(d0, rd_, v);
                v.StoreUnsafe(ref y0, j);
                v = Vector.LoadUnsafe(ref y1, j);
                v = Vector.FusedMultiplyAdd(a1, ra_, v); v = Vector.FusedMultiplyAdd(b1, rb_, v); v = Vector.FusedMultiplyAdd(c1, rc_, v); v = Vector.FusedMultiplyAdd(d1, rd_, v);
                v.StoreUnsafe(ref y1, j);
                v = Vector.LoadUnsafe(ref y2, j);
                v = Vector.FusedMultiplyAdd(a2, ra_, v); v = Vector.FusedMultiplyAdd(b2, rb_, v); v = Vector.FusedMultiplyAdd(c2, rc_, v); v = Vector.FusedMultiplyAdd(d2, rd_, v);
                v.StoreUnsafe(ref y2, j);
                v = Vector.LoadUnsafe(ref y3, j);
                v = Vector.FusedMultiplyAdd(a3, ra_, v); v = Vector.FusedMultiplyAdd(b3, rb_, v); v = Vector.FusedMultiplyAdd(c3, rc_, v); v = Vector.FusedMultiplyAdd(d3, rd_, v);
                v.StoreUnsafe(ref y3, j);
            }
            for (; jj < d; jj++)
            {
                double sa = Unsafe.Add(ref ra, jj), sb = Unsafe.Add(ref rb, jj), sc = Unsafe.Add(ref rc, jj), sd = Unsafe.Add(ref rd, jj);
                Unsafe.Add(ref y0, jj) -= Unsafe.Add(ref y0, k0) * sa + Unsafe.Add(ref y0, k0 + 1) * sb + Unsafe.Add(ref y0, k0 + 2) * sc + Unsafe.Add(ref y0, k0 + 3) * sd;
                Unsafe.Add(ref y1, jj) -= Unsafe.Add(ref y1, k0) * sa + Unsafe.Add(ref y1, k0 + 1) * sb + Unsafe.Add(ref y1, k0 + 2) * sc + Unsafe.Add(ref y1, k0 + 3) * sd;
                Unsafe.Add(ref y2, jj) -= Unsafe.Add(ref y2, k0) * sa + Unsafe.Add(ref y2, k0 + 1) * sb + Unsafe.Add(ref y2, k0 + 2) * sc + Unsafe.Add(ref y2, k0 + 3) * sd;
                Unsafe.Add(ref y3, jj) -= Unsafe.Add(ref y3, k0) * sa + Unsafe.Add(ref y3, k0 + 1) * sb + Unsafe.Add(ref y3, k0 + 2) * sc + Unsafe.Add(ref y3, k0 + 3) * sd;
            }
        }
        for (int k = k0; k < d; k++) // the last d mod 4 columns
        {
            ref double rowk = ref Unsafe.Add(ref r, k * d);
            double inv = 1.0 / Unsafe.Add(ref rowk, k);
            double x0 = Unsafe.Add(ref y0, k) *= inv; double x1 = Unsafe.Add(ref y1, k) *= inv;
            double x2 = Unsafe.Add(ref y2, k) *= inv; double x3 = Unsafe.Add(ref y3, k) *= inv;
            n0 += x0 * x0; n1 += x1 * x1; n2 += x2 * x2; n3 += x3 * x3;
            for (int j = k + 1; j < d; j++)
            {
                double rkj = Unsafe.Add(ref rowk, j);
                Unsafe.Add(ref y0, j) -= x0 * rkj; Unsafe.Add(ref y1, j) -= x1 * rkj;
                Unsafe.Add(ref y2, j) -= x2 * rkj; Unsafe.Add(ref y3, j) -= x3 * rkj;
            }
        }
        norms[0] = n0; norms[1] = n1; norms[2] = n2; norms[3] = n3;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot from the first batch: no tier-0 code
    private static void Block1(ref double r, int d, ref double y0, out double norm)
    {
        int w = Vector<double>.Count;
        double n0 = 0;
        for (int k = 0; k < d; k++)
        {
            ref double rowk = ref Unsafe.Add(ref r, k * d);
            double x0 = Unsafe.Add(ref y0, k) / Unsafe.Add(ref rowk, k);
            n0 = Math.FusedMultiplyAdd(x0, x0, n0);
            var v0 = new Vector<double>(-x0);
            int j = k + 1;
            for (; j + w <= d; j += w)
                Vector.FusedMultiplyAdd(v0, Vector.LoadUnsafe(ref rowk, (nuint)j), Vector.LoadUnsafe(ref y0, (nuint)j)).StoreUnsafe(ref y0, (nuint)j);
            for (; j < d; j++)
                Unsafe.Add(ref y0, j) = Math.FusedMultiplyAdd(-x0, Unsafe.Add(ref rowk, j), Unsafe.Add(ref y0, j));
        }
        norm = n0;
    }

    /// <summary>A = R^T R (full symmetric d x d). O(d^3 / 3).</summary>
    public static double[] Gram(ReadOnlySpan<double> r, int d)
    {
        CheckSquare(r.Length, d);
        var a = new double[d * d];
        for (int k = 0; k < d; k++)
            for (int i = k; i < d; i++)
            {
                double rki = r[k * d + i];
                if (rki != 0) VectorOps.Axpy(rki, r.Slice(k * d + i, d - i), a.AsSpan(i * d + i, d - i));
            }
        for (int i = 0; i < d; i++)
            for (int j = i + 1; j < d; j++) a[j * d + i] = a[i * d + j];
        return a;
    }

    /// <summary>A^{-1} = R^{-1} R^{-T} (full symmetric d x d). O(d^3); for inspection and tests, never per decision.</summary>
    public static double[] InverseOfGram(ReadOnlySpan<double> r, int d)
    {
        CheckSquare(r.Length, d);
        var inv = new double[d * d];
        var col = new double[d];
        for (int i = 0; i < d; i++)
        {
            Array.Clear(col);
            col[i] = 1;
            SolveTransposed(r, d, col);
            Solve(r, d, col);
            for (int j = 0; j < d; j++) inv[j * d + i] = col[j];
        }
        for (int i = 0; i < d; i++)
            for (int j = i + 1; j < d; j++)
            {
                double m = 0.5 * (inv[i * d + j] + inv[j * d + i]);
                inv[i * d + j] = m;
                inv[j * d + i] = m;
            }
        return inv;
    }

    private static void CheckSquare(int length, int d)
    {
        if (d <= 0 || length != d * d) throw new ArgumentException($"matrix has {length} values, expected {d} x {d}");
    }
}
