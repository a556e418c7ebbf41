using Google.Protobuf;
using Onnx;

namespace Dfid.Embeddings;

/// <summary>
/// Rewrites an ONNX transformer so every <c>MatMul</c> by a constant float weight becomes ONNX Runtime's
/// <c>com.microsoft.DynamicQuantizeMatMul</c>: weights stored as int8 with one symmetric scale per output column,
/// activations quantised to uint8 per call. This is what ONNX Runtime's own dynamic quantisation tool produces.
/// </summary>
/// <remarks>
/// Done at load time so the package's fp32 model stays the single source. On CPUs with int8 dot-product
/// instructions (AVX-512 VNNI, AVX-VNNI, ARM dot product) the weight products run about twice as fast, and
/// sentence vectors stay within a cosine of about 0.99 of the fp32 model's (tested).
/// </remarks>
internal static class Int8WeightQuantizer
{
    private const int Float = (int)TensorProto.Types.DataType.Float;
    private const int Int8 = (int)TensorProto.Types.DataType.Int8;

    /// <summary>The quantised model; <paramref name="quantised"/> says how many products were rewritten.</summary>
    public static byte[] Quantise(Stream fp32Model, out int quantised)
    {
        var model = ModelProto.Parser.ParseFrom(fp32Model);
        var graph = model.Graph;
        var initialisers = graph.Initializer.ToDictionary(t => t.Name, StringComparer.Ordinal);
        var replaced = new Dictionary<string, (string Weights, string Scales, string Zeros)>(StringComparer.Ordinal);
        quantised = 0;
        var consumers = graph.Node.SelectMany(n => n.Input.Select(i => (Input: i, Node: n))).ToLookup(x => x.Input, x => x.Node, StringComparer.Ordinal);
        var graphOutputs = graph.Output.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        var fusedAdds = new HashSet<NodeProto>();
        foreach (var node in graph.Node)
        {
            if (node.OpType != "MatMul" || node.Domain.Length > 0 || node.Input.Count != 2) continue;
            if (!initialisers.TryGetValue(node.Input[1], out var weight) || weight.DataType != Float || weight.Dims.Count != 2) continue;
            if (!replaced.TryGetValue(weight.Name, out var names))
            {
                names = (weight.Name + "_int8", weight.Name + "_scale", weight.Name + "_zero");
                graph.Initializer.AddRange(QuantiseColumns(weight, names));
                replaced[weight.Name] = names;
            }
            var input = node.Input[0];
            node.OpType = "DynamicQuantizeMatMul";
            node.Domain = "com.microsoft";
            node.Input.Clear();
            node.Input.Add([input, names.Weights, names.Scales, names.Zeros]);
            // The bias Add that follows (PyTorch exports Linear as MatMul + Add) folds into the operator's bias input.
            if (Bias(node.Output[0], weight.Dims[1]) is var (add, bias))
            {
                node.Input.Add(bias);
                node.Output[0] = add.Output[0];
                fusedAdds.Add(add);
            }
            quantised++;
        }
        foreach (var add in fusedAdds) graph.Node.Remove(add);

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

    /// <summary>Symmetric per-column int8: scale = max |w| / 127, zero point 0.</summary>
    private static TensorProto[] QuantiseColumns(TensorProto weight, (string Weights, string Scales, string Zeros) names)
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
        for (var c = 0; c < columns; c++) scales[c] = scales[c] > 0 ? scales[c] / 127f : 1f;
        var q = new byte[rows * columns];
        for (var r = 0; r < rows; r++)
            for (var c = 0; c < columns; c++)
                q[r * columns + c] = unchecked((byte)(sbyte)Math.Clamp(MathF.Round(w[r * columns + c] / scales[c]), -127f, 127f));
        var scaleBytes = new byte[columns * sizeof(float)];
        Buffer.BlockCopy(scales, 0, scaleBytes, 0, scaleBytes.Length);
        return
        [
            Tensor(names.Weights, Int8, [rows, columns], q),
            Tensor(names.Scales, Float, [columns], scaleBytes),
            Tensor(names.Zeros, Int8, [columns], new byte[columns]),
        ];
    }

    private static TensorProto Tensor(string name, int type, long[] dims, byte[] raw)
    {
        var t = new TensorProto { Name = name, DataType = type, RawData = ByteString.CopyFrom(raw) };
        t.Dims.Add(dims);
        return t;
    }
}
