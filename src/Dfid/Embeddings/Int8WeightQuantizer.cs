using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using Google.Protobuf;
using Onnx;

namespace Dfid.Embeddings;

/// <summary>
/// Rewrites an ONNX transformer so every <c>MatMul</c> by a constant float weight runs in int8: weights stored as int8
/// with one symmetric scale per output column, activations quantised per row (per token) at run time, the product
/// taken by ONNX Runtime's <c>com.microsoft.MatMulIntegerToFloat</c> (uint8 × int8, the fast path on x86 and ARM).
/// </summary>
/// <remarks>
/// Done at load time so the package's fp32 model stays the single source. Activations get one scale per row rather
/// than ONNX Runtime's stock per-tensor dynamic quantisation, because a per-tensor scale depends on every text in a
/// batch: a sentence vector would then change with its neighbours (and with the cache). Per row, each vector is a
/// function of its own text, batching stays free, and vectors stay within a cosine of about 0.99 of fp32 (tested).
/// </remarks>
internal static class Int8WeightQuantizer
{
    private const int Float = (int)TensorProto.Types.DataType.Float;
    private const int Int8 = (int)TensorProto.Types.DataType.Int8;
    private const int Uint8 = (int)TensorProto.Types.DataType.Uint8;
    private const int Int64 = (int)TensorProto.Types.DataType.Int64;
    private const string Flat = "dfid_q_flat";
    private const string InvMax = "dfid_q_inv127", Tiny = "dfid_q_tiny", One = "dfid_q_one", Mid = "dfid_q_128";

    /// <summary>The quantised model.</summary>
    /// <param name="fp32Model">The fp32 ONNX model.</param>
    /// <param name="weightBits">8, or 7 where the CPU's int8 products can overflow (see <see cref="SafeWeightBits"/>).</param>
    public static byte[] Quantise(Stream fp32Model, int weightBits)
    {
        var model = ModelProto.Parser.ParseFrom(fp32Model);
        var graph = model.Graph;
        var initialisers = graph.Initializer.ToDictionary(t => t.Name, StringComparer.Ordinal);
        var replaced = new Dictionary<string, (string Weights, string Scales)>(StringComparer.Ordinal);
        var products = 0;
        var consumers = graph.Node.SelectMany(n => n.Input.Select(i => (Input: i, Node: n))).ToLookup(x => x.Input, x => x.Node, StringComparer.Ordinal);
        var graphOutputs = graph.Output.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        graph.Initializer.Add(Scalar(InvMax, Float, BitConverter.GetBytes(1f / 127f)));
        graph.Initializer.Add(Scalar(Tiny, Float, BitConverter.GetBytes(1e-12f)));
        graph.Initializer.Add(Scalar(One, Float, BitConverter.GetBytes(1f)));
        graph.Initializer.Add(Scalar(Mid, Uint8, [128]));
        graph.Initializer.Add(Tensor(Flat, Int64, [1], BitConverter.GetBytes(-1L)));
        var rowShapes = new HashSet<long>();
        string RowsShape(long k)
        {
            if (rowShapes.Add(k)) graph.Initializer.Add(Tensor($"dfid_q_rows_{k}", Int64, [2], [.. BitConverter.GetBytes(-1L), .. BitConverter.GetBytes(k)]));
            return $"dfid_q_rows_{k}";
        }
        var rowScales = new Dictionary<string, (string Scale, string Quantised)>(StringComparer.Ordinal);
        var fusedAdds = new HashSet<NodeProto>();
        var rewritten = new List<NodeProto>(graph.Node.Count * 2);
        foreach (var node in graph.Node)
        {
            if (fusedAdds.Contains(node)) continue;
            if (node.OpType != "MatMul" || node.Domain.Length > 0 || node.Input.Count != 2
                || !initialisers.TryGetValue(node.Input[1], out var weight) || weight.DataType != Float || weight.Dims.Count != 2)
            {
                rewritten.Add(node);
                continue;
            }
            if (!replaced.TryGetValue(weight.Name, out var names))
            {
                names = (weight.Name + "_int8", weight.Name + "_scale");
                graph.Initializer.AddRange(QuantiseColumns(weight, names, (1 << (weightBits - 1)) - 1));
                replaced[weight.Name] = names;
            }
            var x = node.Input[0];
            var id = products++;
            // Per row (token): s = max|x| / 127, q = round(x / s) + 128. Query, key and value share their input's rows.
            if (!rowScales.TryGetValue(x, out var row))
            {
                row = ($"q{id}_scale", $"q{id}_x");
                // max |x| as max(max x, -min x): two reductions are cheaper than a full Abs pass and one reduction.
                rewritten.Add(RowReduction("ReduceMax", x, $"q{id}_max"));
                rewritten.Add(RowReduction("ReduceMin", x, $"q{id}_min"));
                rewritten.Add(Node("Neg", [$"q{id}_min"], [$"q{id}_neg_min"]));
                rewritten.Add(Node("Max", [$"q{id}_max", $"q{id}_neg_min"], [$"q{id}_abs_max"]));
                rewritten.Add(Node("Mul", [$"q{id}_abs_max", InvMax], [$"q{id}_raw_scale"]));
                rewritten.Add(Node("Max", [$"q{id}_raw_scale", Tiny], [row.Scale]));
                // QuantizeLinear divides by a per-axis scale itself: view x as [rows, K] with one scale and zero point per row.
                rewritten.Add(Node("Reshape", [x, RowsShape(weight.Dims[0])], [$"q{id}_rows"]));
                rewritten.Add(Node("Reshape", [row.Scale, Flat], [$"q{id}_row_scale"]));
                rewritten.Add(Node("Shape", [$"q{id}_row_scale"], [$"q{id}_row_count"]));
                var zeros = Node("ConstantOfShape", [$"q{id}_row_count"], [$"q{id}_row_zero"]);
                zeros.Attribute.Add(new AttributeProto { Name = "value", Type = AttributeProto.Types.AttributeType.Tensor, T = Tensor("mid", Uint8, [1], [128]) });
                rewritten.Add(zeros);
                var quantise = Node("QuantizeLinear", [$"q{id}_rows", $"q{id}_row_scale", $"q{id}_row_zero"], [$"q{id}_rows_q"]);
                quantise.Attribute.Add(new AttributeProto { Name = "axis", Type = AttributeProto.Types.AttributeType.Int, I = 0 });
                rewritten.Add(quantise);
                rewritten.Add(Node("Shape", [x], [$"q{id}_shape"]));
                rewritten.Add(Node("Reshape", [$"q{id}_rows_q", $"q{id}_shape"], [row.Quantised]));
                rowScales[x] = row;
            }
            var product = Node("MatMulIntegerToFloat", [row.Quantised, names.Weights, One, names.Scales, Mid], [$"q{id}_product"]);
            product.Domain = "com.microsoft";
            rewritten.Add(product);
            // PyTorch exports Linear as MatMul + Add(bias): the bias is added after the row scale is applied.
            if (Bias(node.Output[0], weight.Dims[1]) is var (add, bias))
            {
                rewritten.Add(Node("Mul", [$"q{id}_product", row.Scale], [$"q{id}_rescaled"]));
                rewritten.Add(Node("Add", [$"q{id}_rescaled", bias], [add.Output[0]]));
                fusedAdds.Add(add);
            }
            else rewritten.Add(Node("Mul", [$"q{id}_product", row.Scale], [node.Output[0]]));
        }
        graph.Node.Clear();
        graph.Node.Add(rewritten);

        (NodeProto Add, string Bias)? Bias(string product, long columns)
        {
            if (graphOutputs.Contains(product) || consumers[product].ToList() is not [{ OpType: "Add", Domain: "" } add]) return null;
            var other = add.Input[0] == product ? add.Input[1] : add.Input[0];
            return initialisers.TryGetValue(other, out var b) && b.DataType == Float && b.Dims.Count == 1 && b.Dims[0] == columns
                ? (add, other)
                : null;
        }
        // Drop the fp32 weights nothing reads any more.
        var stillRead = graph.Node.SelectMany(n => n.Input).ToHashSet(StringComparer.Ordinal);
        foreach (var name in replaced.Keys.Where(n => !stillRead.Contains(n)))
            graph.Initializer.Remove(initialisers[name]);
        if (model.OpsetImport.All(o => o.Domain != "com.microsoft"))
            model.OpsetImport.Add(new OperatorSetIdProto { Domain = "com.microsoft", Version = 1 });
        return model.ToByteArray();
    }

    /// <summary>
    /// Weight precision that cannot overflow here. ONNX Runtime's uint8 × int8 kernels on x86 CPUs without VNNI
    /// (AVX2, AVX-512 before Cascade Lake, AMD before Zen 4) add pairs of products in saturating 16-bit lanes:
    /// 255 × 127 × 2 overflows, 255 × 63 × 2 does not. There weights get 7 bits (ONNX Runtime's "reduce range");
    /// with VNNI, on ARM and elsewhere, 8.
    /// </summary>
    public static int SafeWeightBits()
    {
        if (RuntimeInformation.ProcessArchitecture is not (Architecture.X64 or Architecture.X86)) return 8;
        if (AvxVnni.IsSupported || Avx10v1.IsSupported) return 8;
        // .NET has no AVX-512 VNNI flag of its own; Linux lists it.
        try
        {
            if (OperatingSystem.IsLinux() && File.Exists("/proc/cpuinfo")
                && File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("flags", StringComparison.Ordinal)) is { } flags
                && flags.Split(' ').Contains("avx512_vnni"))
                return 8;
        }
        catch (IOException)
        {
            // Unreadable: take the safe precision.
        }
        return 7;
    }

    /// <summary>Symmetric per-column weights: scale = max |w| / <paramref name="limit"/>, zero point 0.</summary>
    private static TensorProto[] QuantiseColumns(TensorProto weight, (string Weights, string Scales) names, int limit)
    {
        int rows = checked((int)weight.Dims[0]), columns = checked((int)weight.Dims[1]);
        var w = weight.FloatData.Count > 0
            ? weight.FloatData.ToArray()
            : System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(weight.RawData.Span).ToArray();
        if (!BitConverter.IsLittleEndian || w.Length != rows * columns)
            throw new InvalidDataException($"cannot read weight {weight.Name} of the embedding model");
        var scales = new float[columns];
        for (var r = 0; r < rows; r++)
            for (var c = 0; c < columns; c++) scales[c] = Math.Max(scales[c], Math.Abs(w[r * columns + c]));
        for (var c = 0; c < columns; c++) scales[c] = scales[c] > 0 ? scales[c] / limit : 1f;
        var q = new byte[rows * columns];
        for (var r = 0; r < rows; r++)
            for (var c = 0; c < columns; c++)
                q[r * columns + c] = unchecked((byte)(sbyte)Math.Clamp(MathF.Round(w[r * columns + c] / scales[c]), -limit, limit));
        var scaleBytes = new byte[columns * sizeof(float)];
        Buffer.BlockCopy(scales, 0, scaleBytes, 0, scaleBytes.Length);
        return
        [
            Tensor(names.Weights, Int8, [rows, columns], q),
            Tensor(names.Scales, Float, [columns], scaleBytes),
        ];
    }

    private static NodeProto RowReduction(string op, string input, string output)
    {
        var n = Node(op, [input], [output]);
        n.Attribute.Add(new AttributeProto { Name = "axes", Type = AttributeProto.Types.AttributeType.Ints, Ints = { -1 } });
        n.Attribute.Add(new AttributeProto { Name = "keepdims", Type = AttributeProto.Types.AttributeType.Int, I = 1 });
        return n;
    }

    private static NodeProto Node(string op, string[] inputs, string[] outputs)
    {
        var n = new NodeProto { OpType = op, Name = outputs[0] + "_node" };
        n.Input.Add(inputs);
        n.Output.Add(outputs);
        return n;
    }

    private static TensorProto Scalar(string name, int type, byte[] raw) => Tensor(name, type, [], raw);

    private static TensorProto Tensor(string name, int type, long[] dims, byte[] raw)
    {
        var t = new TensorProto { Name = name, DataType = type, RawData = ByteString.CopyFrom(raw) };
        t.Dims.Add(dims);
        return t;
    }
}
