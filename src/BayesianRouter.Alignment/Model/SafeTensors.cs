using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using BayesianRouter.IO;
using static TorchSharp.torch;

namespace BayesianRouter.Alignment.Model;

/// <summary>
/// The safetensors format (Hugging Face): an 8-byte little-endian header length N, N bytes of JSON
/// (<c>{"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, "__metadata__": {..}}</c>, offsets
/// relative to the end of the header), then the raw little-endian tensor bytes. Reads F32, F16 and BF16 (converted to
/// float32, as the policy computes in float32); writes F32.
/// </summary>
public static class SafeTensors
{
    /// <summary>Reads every tensor of <paramref name="path"/> as a float32 CPU tensor the caller owns.</summary>
    public static Dictionary<string, Tensor> Read(string path)
    {
        using var stream = File.OpenRead(path);
        var header = ReadHeader(stream, path, out long dataStart);
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            foreach (var (name, node) in header)
            {
                if (name == "__metadata__") continue;
                if (node is not JsonObject info) throw new InvalidDataException($"{path}: header entry \"{name}\" is not an object");
                string dtype = info["dtype"]?.GetValue<string>() ?? throw new InvalidDataException($"{path}: \"{name}\" has no dtype");
                var shape = (info["shape"] as JsonArray ?? throw new InvalidDataException($"{path}: \"{name}\" has no shape"))
                    .Select(n => n!.GetValue<long>()).ToArray();
                var offsets = info["data_offsets"] as JsonArray ?? throw new InvalidDataException($"{path}: \"{name}\" has no data_offsets");
                long begin = offsets[0]!.GetValue<long>(), end = offsets[1]!.GetValue<long>();
                long count = shape.Aggregate(1L, (a, b) => a * b);
                int width = dtype switch
                {
                    "F32" => 4,
                    "F16" or "BF16" => 2,
                    _ => throw new InvalidDataException($"{path}: \"{name}\" has dtype {dtype}; supported: F32, F16, BF16"),
                };
                if (end - begin != count * width || begin < 0 || dataStart + end > stream.Length)
                    throw new InvalidDataException($"{path}: \"{name}\" data_offsets [{begin}, {end}] do not fit {dtype} shape [{string.Join(", ", shape)}] in the file");
                var bytes = new byte[end - begin];
                stream.Position = dataStart + begin;
                stream.ReadExactly(bytes);
                var values = new float[count];
                switch (dtype)
                {
                    case "F32":
                        MemoryMarshal.Cast<byte, float>(bytes).CopyTo(values);
                        break;
                    case "F16":
                        var halves = MemoryMarshal.Cast<byte, Half>(bytes);
                        for (long i = 0; i < count; i++) values[i] = (float)halves[(int)i];
                        break;
                    case "BF16":
                        var raw = MemoryMarshal.Cast<byte, ushort>(bytes);
                        for (long i = 0; i < count; i++) values[i] = BitConverter.Int32BitsToSingle(raw[(int)i] << 16);
                        break;
                }
                result[name] = tensor(values, shape);
            }
        }
        catch
        {
            foreach (var t in result.Values) t.Dispose();
            throw;
        }
        return result;
    }

    /// <summary>The tensor names and shapes in a file's header, without reading data.</summary>
    public static Dictionary<string, long[]> Shapes(string path)
    {
        using var stream = File.OpenRead(path);
        var header = ReadHeader(stream, path, out _);
        return header.Where(kv => kv.Key != "__metadata__")
            .ToDictionary(kv => kv.Key, kv => (kv.Value!["shape"] as JsonArray)!.Select(n => n!.GetValue<long>()).ToArray(), StringComparer.Ordinal);
    }

    private static JsonObject ReadHeader(Stream stream, string path, out long dataStart)
    {
        Span<byte> len = stackalloc byte[8];
        if (stream.Length < 8) throw new InvalidDataException($"{path}: too short for a safetensors file");
        stream.ReadExactly(len);
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(len);
        if (n == 0 || n > (ulong)(stream.Length - 8) || n > 100_000_000)
            throw new InvalidDataException($"{path}: header length {n} does not fit the file ({stream.Length} bytes): not a safetensors file");
        var json = new byte[n];
        stream.ReadExactly(json);
        dataStart = 8 + (long)n;
        try
        {
            return JsonNode.Parse(json) as JsonObject ?? throw new InvalidDataException($"{path}: header is not a JSON object");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: header is not valid JSON ({e.Message})");
        }
    }

    /// <summary>Writes float32 tensors (names sorted) atomically; <paramref name="metadata"/> goes to <c>__metadata__</c>.</summary>
    public static void Write(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var header = new JsonObject();
        var meta = new JsonObject { ["format"] = "pt" };
        foreach (var (k, v) in metadata ?? new Dictionary<string, string>()) meta[k] = v;
        header["__metadata__"] = meta;
        var names = tensors.Keys.OrderBy(k => k, StringComparer.Ordinal).ToArray();
        long offset = 0;
        var data = new List<float[]>();
        foreach (var name in names)
        {
            using var t = tensors[name].detach().to_type(ScalarType.Float32).contiguous();
            var values = t.data<float>().ToArray();
            data.Add(values);
            long bytes = values.LongLength * 4;
            header[name] = new JsonObject
            {
                ["dtype"] = "F32",
                ["shape"] = new JsonArray(t.shape.Select(s => (JsonNode)s).ToArray()),
                ["data_offsets"] = new JsonArray(offset, offset + bytes),
            };
            offset += bytes;
        }
        var json = Encoding.UTF8.GetBytes(header.ToJsonString());
        int pad = (8 - json.Length % 8) % 8; // the reference writer pads the header with spaces to 8 bytes
        var headerBytes = new byte[json.Length + pad];
        json.CopyTo(headerBytes, 0);
        for (int i = json.Length; i < headerBytes.Length; i++) headerBytes[i] = (byte)' ';
        AtomicFile.Write(path, s =>
        {
            Span<byte> len = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)headerBytes.Length);
            s.Write(len);
            s.Write(headerBytes);
            foreach (var values in data) s.Write(MemoryMarshal.AsBytes(values.AsSpan()));
        });
    }
}
