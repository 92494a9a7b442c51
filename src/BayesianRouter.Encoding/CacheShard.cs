using System.Buffers.Binary;
using System.Security.Cryptography;

namespace BayesianRouter.Encoding;

/// <summary>
/// One file of the embedding cache, written once (temporary file, then rename) and never changed:
/// <code>
/// "BRPEMB01" | int32 version | int32 dimension | int32 id length | encoder id (UTF-8) | int64 count
/// | count x (32-byte SHA-256 text key | dimension x float32) | 32-byte SHA-256 of every byte before it
/// </code>
/// All integers and floats little-endian. A file whose length, header or checksum does not match is corrupt.
/// </summary>
public static class CacheShard
{
    public const int Version = 2; // 2: embeddings from the Hugging Face-compatible tokenization (HfBertTokenizer); version 1 shards are rebuilt
    private static readonly byte[] Magic = "BRPEMB01"u8.ToArray();

    public static void Write(Stream stream, string encoderId, int dimension, IReadOnlyList<(TextKey Key, float[] Vector)> entries)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        void Put(ReadOnlySpan<byte> bytes)
        {
            stream.Write(bytes);
            sha.AppendData(bytes);
        }

        var id = System.Text.Encoding.UTF8.GetBytes(encoderId);
        Span<byte> word = stackalloc byte[8];
        Put(Magic);
        BinaryPrimitives.WriteInt32LittleEndian(word, Version); Put(word[..4]);
        BinaryPrimitives.WriteInt32LittleEndian(word, dimension); Put(word[..4]);
        BinaryPrimitives.WriteInt32LittleEndian(word, id.Length); Put(word[..4]);
        Put(id);
        BinaryPrimitives.WriteInt64LittleEndian(word, entries.Count); Put(word);

        var record = new byte[TextKey.ByteLength + 4 * dimension];
        foreach (var (key, vector) in entries)
        {
            if (vector.Length != dimension) throw new ArgumentException($"cache entry has dimension {vector.Length}, expected {dimension}");
            key.WriteTo(record);
            for (int j = 0; j < dimension; j++)
                BinaryPrimitives.WriteSingleLittleEndian(record.AsSpan(TextKey.ByteLength + 4 * j), vector[j]);
            Put(record);
        }
        stream.Write(sha.GetHashAndReset());
    }

    /// <summary>
    /// Reads and verifies a whole shard. Throws <see cref="InvalidDataException"/> (naming the file) when it is
    /// truncated, extended, has a bad header or checksum, or belongs to another encoder or dimension.
    /// </summary>
    public static List<(TextKey Key, float[] Vector)> Read(string path, byte[] bytes, string encoderId, int dimension)
    {
        var s = bytes.AsSpan();
        int headerFixed = Magic.Length + 12;
        if (s.Length < headerFixed + 8 + 32) throw Corrupt(path, $"only {s.Length} bytes");
        if (!s[..Magic.Length].SequenceEqual(Magic)) throw Corrupt(path, "not an embedding cache shard (bad magic)");
        int version = BinaryPrimitives.ReadInt32LittleEndian(s[8..]);
        if (version != Version) throw Corrupt(path, $"format version {version}, expected {Version}");
        int dim = BinaryPrimitives.ReadInt32LittleEndian(s[12..]);
        int idLength = BinaryPrimitives.ReadInt32LittleEndian(s[16..]);
        if (idLength < 0 || idLength > s.Length - headerFixed - 8 - 32) throw Corrupt(path, "bad encoder id length");
        var id = System.Text.Encoding.UTF8.GetString(s.Slice(headerFixed, idLength));
        long count = BinaryPrimitives.ReadInt64LittleEndian(s[(headerFixed + idLength)..]);
        int bodyStart = headerFixed + idLength + 8;
        long recordLength = TextKey.ByteLength + 4L * Math.Max(dim, 0);
        if (dim <= 0 || count < 0 || count > (s.Length - bodyStart) / recordLength)
            throw Corrupt(path, "bad dimension or entry count");
        long expected = bodyStart + count * recordLength + 32;
        if (s.Length != expected) throw Corrupt(path, $"length {s.Length} bytes, header says {expected} (truncated or partial write)");
        var digest = SHA256.HashData(s[..^32]);
        if (!s[^32..].SequenceEqual(digest)) throw Corrupt(path, "checksum mismatch");
        if (id != encoderId) throw Corrupt(path, $"written by encoder \"{id}\", expected \"{encoderId}\"");
        if (dim != dimension) throw Corrupt(path, $"dimension {dim}, expected {dimension}");

        var entries = new List<(TextKey, float[])>((int)count);
        int offset = bodyStart;
        for (long e = 0; e < count; e++)
        {
            var key = TextKey.FromBytes(s.Slice(offset, TextKey.ByteLength));
            var v = new float[dim];
            for (int j = 0; j < dim; j++) v[j] = BinaryPrimitives.ReadSingleLittleEndian(s[(offset + TextKey.ByteLength + 4 * j)..]);
            entries.Add((key, v));
            offset += (int)recordLength;
        }
        return entries;
    }

    private static InvalidDataException Corrupt(string path, string why) => new($"{path}: corrupt embedding cache shard: {why}");
}
