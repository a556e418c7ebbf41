namespace Dfid.Embeddings;

/// <summary>Maps texts to fixed-length sentence vectors (unit length, so a dot product is the cosine).</summary>
public interface ITextEmbedder
{
    /// <summary>Length of every vector.</summary>
    int Dimensions { get; }

    /// <summary>Names the model and every setting that changes its vectors; part of cache keys and learned-model hashes.</summary>
    string ModelId { get; }

    /// <summary>Embeds each text; the result has one vector per input, in order.</summary>
    float[][] Embed(IReadOnlyList<string> texts, CancellationToken cancellationToken = default);
}
