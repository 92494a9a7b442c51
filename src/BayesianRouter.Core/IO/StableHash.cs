using System.Security.Cryptography;
using System.Text;

namespace BayesianRouter;

/// <summary>SHA-256 of UTF-8 text, as lower-case hex: stable across runs, machines and .NET versions.</summary>
public static class StableHash
{
    public static string Hex(string text, int chars = 64)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(text), hash);
        return Convert.ToHexStringLower(hash)[..Math.Min(chars, 64)];
    }
}
