using System.Security.Cryptography;
using System.Text;
using BayesianRouter.IO;

namespace BayesianRouter.State;

/// <summary>
/// A versioned binary checkpoint holding one section per learner:
/// <c>magic "BAYESROUTER-STATE\n" | int32 format version | int32 section count |</c>
/// per section <c>string kind | int32 section version | int64 length | payload</c> <c>| SHA-256 of all before</c>.
/// Writes are atomic; a corrupt, truncated or mismatched file raises <see cref="InvalidDataException"/> naming the
/// file, and restores nothing (every section is read and validated before any learner changes).
/// </summary>
public static class CheckpointFile
{
    public const int FormatVersion = 1;
    private static readonly byte[] Magic = "BAYESROUTER-STATE\n"u8.ToArray();
    private const int HashLength = 32;

    /// <summary>Saves the learners' states, in order, to <paramref name="path"/> (atomically).</summary>
    public static void Save(string path, params ICheckpointable[] learners)
    {
        var bytes = ToBytes(learners);
        AtomicFile.Write(path, s => s.Write(bytes));
    }

    /// <summary>Restores the learners, in the order they were saved, from <paramref name="path"/>.</summary>
    public static void Restore(string path, params ICheckpointable[] learners)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such checkpoint file", path);
        try
        {
            Restore(File.ReadAllBytes(path), learners);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
    }

    public static byte[] ToBytes(params ICheckpointable[] learners)
    {
        if (learners.Length == 0) throw new ArgumentException("a checkpoint needs at least one learner");
        using var ms = new MemoryStream();
        using (var w = new BinaryWriter(ms, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(Magic);
            w.Write(FormatVersion);
            w.Write(learners.Length);
            foreach (var learner in learners)
            {
                using var section = new MemoryStream();
                using (var sw = new BinaryWriter(section, Encoding.UTF8, leaveOpen: true)) learner.WriteState(sw);
                w.Write(learner.StateKind);
                w.Write(learner.StateVersion);
                w.Write(section.Length);
                w.Write(section.GetBuffer(), 0, (int)section.Length);
            }
        }
        var body = ms.ToArray();
        return [.. body, .. SHA256.HashData(body)];
    }

    /// <summary>Restores from the bytes of a checkpoint; all sections are validated before any learner changes.</summary>
    public static void Restore(byte[] bytes, params ICheckpointable[] learners)
    {
        if (bytes.Length < Magic.Length + HashLength || !bytes.AsSpan(0, Magic.Length).SequenceEqual(Magic))
            throw new InvalidDataException("not a BayesianRouter checkpoint (bad magic)");
        var body = bytes.AsSpan(0, bytes.Length - HashLength);
        if (!SHA256.HashData(body).AsSpan().SequenceEqual(bytes.AsSpan(bytes.Length - HashLength)))
            throw new InvalidDataException("checksum mismatch: the checkpoint is corrupt or truncated");
        var installs = new List<Action>(learners.Length);
        try
        {
            using var r = new BinaryReader(new MemoryStream(body.ToArray()), Encoding.UTF8);
            r.ReadBytes(Magic.Length);
            int version = r.ReadInt32();
            if (version != FormatVersion)
                throw new InvalidDataException($"checkpoint format version {version} is not supported (this build reads {FormatVersion})");
            int count = r.ReadInt32();
            if (count != learners.Length)
                throw new InvalidDataException($"checkpoint holds {count} learner section(s), {learners.Length} expected");
            foreach (var learner in learners)
            {
                string kind = r.ReadString();
                int sectionVersion = r.ReadInt32();
                long length = r.ReadInt64();
                if (kind != learner.StateKind)
                    throw new InvalidDataException($"checkpoint section is a '{kind}' state, a '{learner.StateKind}' state was expected");
                if (sectionVersion > learner.StateVersion || sectionVersion < 1)
                    throw new InvalidDataException($"'{kind}' state version {sectionVersion} is not supported (this build reads up to {learner.StateVersion})");
                if (length < 0 || length > r.BaseStream.Length - r.BaseStream.Position)
                    throw new InvalidDataException($"'{kind}' section length {length} runs past the end of the file");
                long start = r.BaseStream.Position;
                installs.Add(learner.ReadState(r, sectionVersion));
                if (r.BaseStream.Position - start != length)
                    throw new InvalidDataException($"'{kind}' section holds {length} bytes but {r.BaseStream.Position - start} were read");
            }
            if (r.BaseStream.Position != r.BaseStream.Length) throw new InvalidDataException("trailing bytes after the last section");
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException("the checkpoint ends inside a section (truncated)", e);
        }
        foreach (var install in installs) install();
    }
}
