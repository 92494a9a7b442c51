using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace BayesianRouter.Encoding;

/// <summary>
/// One text for the encoder: a prompt x and, optionally, a response y, encoded as x || y (paper section 3.2:
/// e = Enc(x || y)). A plain text is a prompt with an empty response.
/// </summary>
public readonly record struct EncoderInput(string Prompt, string Response = "")
{
    public static implicit operator EncoderInput(string text) => new(text);

    /// <summary>
    /// SHA-256 of the input, the cache key of its embedding: the UTF-8 byte count of the prompt (int32,
    /// little-endian), the prompt's UTF-8 bytes, then the response's UTF-8 bytes. The length prefix keeps
    /// ("ab", "c") and ("a", "bc") apart, which truncation can tell apart.
    /// </summary>
    public TextKey Key()
    {
        var prompt = System.Text.Encoding.UTF8.GetBytes(Prompt);
        var response = System.Text.Encoding.UTF8.GetBytes(Response);
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> len = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(len, prompt.Length);
        sha.AppendData(len);
        sha.AppendData(prompt);
        sha.AppendData(response);
        Span<byte> hash = stackalloc byte[32];
        sha.GetHashAndReset(hash);
        return TextKey.FromBytes(hash);
    }
}

/// <summary>A SHA-256 digest held as four words, so it is a cheap dictionary key.</summary>
public readonly record struct TextKey(ulong W0, ulong W1, ulong W2, ulong W3)
{
    public const int ByteLength = 32;

    public static TextKey FromBytes(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != ByteLength) throw new ArgumentException($"a text key has {ByteLength} bytes, got {bytes.Length}");
        return new TextKey(
            BinaryPrimitives.ReadUInt64BigEndian(bytes),
            BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]),
            BinaryPrimitives.ReadUInt64BigEndian(bytes[16..]),
            BinaryPrimitives.ReadUInt64BigEndian(bytes[24..]));
    }

    public void WriteTo(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64BigEndian(destination, W0);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], W1);
        BinaryPrimitives.WriteUInt64BigEndian(destination[16..], W2);
        BinaryPrimitives.WriteUInt64BigEndian(destination[24..], W3);
    }

    public override string ToString()
    {
        Span<byte> b = stackalloc byte[ByteLength];
        WriteTo(b);
        return Convert.ToHexStringLower(b);
    }
}
