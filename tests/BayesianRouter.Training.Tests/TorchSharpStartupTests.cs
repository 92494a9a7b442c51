using System.Text;
using TorchSharp;

namespace BayesianRouter.Training.Tests;

/// <summary>
/// TorchSharp loads and computes in the test host. On Debian 12 the first torch call throws
/// TypeInitializationException unless the build's start-up fix (build/TorchSharpStartupFix.targets,
/// docs/build.md) patched the copy of libLibTorchSharp.so beside these tests.
/// </summary>
public class TorchSharpStartupTests
{
    private const string ShimName = "libglibcxx_3_4_32_shim.so";

    [Fact]
    public void Float64CholeskyMatchesTheHandComputedFactor()
    {
        // A = L L^T with L = [[2,0,0],[1,3,0],[-1,1,2]]; the Cholesky factor of A is that L.
        double[,] a = { { 4, 2, -2 }, { 2, 10, 2 }, { -2, 2, 6 } };
        double[,] expected = { { 2, 0, 0 }, { 1, 3, 0 }, { -1, 1, 2 } };

        using var matrix = torch.tensor(a, dtype: torch.float64);
        using var factor = torch.linalg.cholesky(matrix);

        Assert.Equal(torch.float64, factor.dtype);
        Assert.Equal(new long[] { 3, 3 }, factor.shape);
        var actual = factor.data<double>().ToArray();
        for (var i = 0; i < 3; i++)
            for (var j = 0; j < 3; j++)
                Assert.Equal(expected[i, j], actual[i * 3 + j], 12);
    }

    [Fact]
    public void MatmulMatchesTheHandComputedProduct()
    {
        // [[1,2,3],[4,5,6]] x [[7,8],[9,10],[11,12]] = [[58,64],[139,154]].
        using var left = torch.tensor(new float[] { 1, 2, 3, 4, 5, 6 }, new long[] { 2, 3 });
        using var right = torch.tensor(new float[] { 7, 8, 9, 10, 11, 12 }, new long[] { 3, 2 });
        using var product = torch.matmul(left, right);

        Assert.Equal(new float[] { 58, 64, 139, 154 }, product.data<float>().ToArray());
    }

    /// <summary>
    /// The process loaded the output folder's libLibTorchSharp.so, and the fix's shim library beside it
    /// exactly when the libstdc++ this process uses lacks GLIBCXX_3.4.32 (elsewhere the fix is a no-op) and the
    /// build had patchelf to add it (without patchelf the weak version need alone is applied, and is enough).
    /// </summary>
    [Fact]
    public void ShimIsLoadedExactlyWhereTheSystemLibstdcxxLacksGlibcxx3432()
    {
        using (var one = torch.ones(2))
            Assert.Equal(2.0f, one.sum().item<float>());

        var mapped = File.ReadLines("/proc/self/maps")
            .Select(line => line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries))
            .Where(fields => fields.Length == 6 && fields[5].StartsWith('/'))
            .Select(fields => fields[5].Trim())
            .Distinct()
            .ToList();

        var outputFolder = Path.GetFullPath(AppContext.BaseDirectory);
        var torchSharp = Assert.Single(mapped, path => Path.GetFileName(path) == "libLibTorchSharp.so");
        Assert.Equal(outputFolder, Path.GetFullPath(Path.GetDirectoryName(torchSharp)! + Path.DirectorySeparatorChar));

        var libstdcxx = Assert.Single(mapped, path => Path.GetFileName(path).StartsWith("libstdc++.so.6", StringComparison.Ordinal));
        var systemHasVersion = FileContains(libstdcxx, "GLIBCXX_3.4.32");
        var shimPath = Path.Combine(outputFolder, ShimName);
        if (systemHasVersion)
        {
            Assert.DoesNotContain(mapped, path => Path.GetFileName(path) == ShimName);
            Assert.False(File.Exists(shimPath), $"{shimPath} should not be built where {libstdcxx} has GLIBCXX_3.4.32");
        }
        else if (File.Exists(shimPath))
        {
            Assert.Contains(shimPath, mapped);
        }
        else
        {
            Assert.DoesNotContain(mapped, path => Path.GetFileName(path) == ShimName);
        }
    }

    private static bool FileContains(string path, string ascii)
    {
        var needle = Encoding.ASCII.GetBytes(ascii);
        return File.ReadAllBytes(path).AsSpan().IndexOf(needle) >= 0;
    }
}
