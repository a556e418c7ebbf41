namespace Dfid.Instrument.Learned;

/// <summary>
/// The lexical features one model knows: the hashed n-gram ids found in at least <c>minDf</c> of its training turns,
/// with their inverse document frequency. A turn becomes, per channel, sublinear tf (1 + ln count) × idf, scaled to unit
/// length; ids the model never saw are dropped (they would carry weight 0 anyway).
/// </summary>
internal sealed class Lexicon(int[] ids, float[] idf)
{
    private Dictionary<int, int>? _column;

    /// <summary>Known ids, ascending; the column of id <c>Ids[j]</c> is <c>j</c>.</summary>
    public int[] Ids { get; } = ids;

    /// <summary>ln((1 + n) / (1 + df)) + 1 per column (smoothed, as scikit-learn's TfidfTransformer).</summary>
    public float[] Idf { get; } = idf;

    public int Count => Ids.Length;

    public static Lexicon Build(IReadOnlyList<Dictionary<int, int>[]> documents, int minDf)
    {
        var df = new Dictionary<int, int>();
        foreach (var doc in documents)
            foreach (var channel in doc)
                foreach (var id in channel.Keys)
                    df[id] = df.TryGetValue(id, out var v) ? v + 1 : 1;
        var ids = df.Where(x => x.Value >= minDf).Select(x => x.Key).Order().ToArray();
        var n = documents.Count;
        var idf = ids.Select(id => (float)(Math.Log((1.0 + n) / (1.0 + df[id])) + 1)).ToArray();
        return new Lexicon(ids, idf);
    }

    /// <summary>The sparse row of a turn's channels: columns ascending, each channel scaled to unit length.</summary>
    public (int[] Index, double[] Value) Vectorise(Dictionary<int, int>[] channels)
    {
        var total = 0;
        foreach (var channel in channels) total += channel.Count;
        var index = new int[total];
        var value = new double[total];
        var n = VectoriseInto(channels, index, value, 0);
        return (index[..n], value[..n]);
    }

    /// <summary>Writes the sparse row into the buffers from <paramref name="offset"/> on (room for every id of every
    /// channel); returns its length.</summary>
    private int VectoriseInto(Dictionary<int, int>[] channels, int[] index, double[] value, int offset)
    {
        var column = _column ??= Ids.Select((id, j) => (id, j)).ToDictionary(x => x.id, x => x.j);
        var n = offset;
        foreach (var channel in channels)
        {
            var from = n;
            double norm = 0;
            foreach (var (id, count) in channel)
            {
                if (!column.TryGetValue(id, out var j)) continue;
                var v = (1 + Math.Log(count)) * Idf[j];
                index[n] = j;
                value[n++] = v;
                norm += v * v;
            }
            if (norm <= 0) continue;
            var scale = 1 / Math.Sqrt(norm);
            for (var k = from; k < n; k++) value[k] *= scale;
        }
        // Channels never share a column (their ids are salted differently), so sorting by column gives a valid sparse
        // row; a hash collision across channels would only add a duplicate column, which the sums handle.
        Array.Sort(index, value, offset, n - offset);
        return n - offset;
    }

    /// <summary>Rows of a matrix: dense blocks as given, sparse blocks vectorised by this lexicon.</summary>
    public FeatureRows Rows(IReadOnlyList<int> rows, IReadOnlyList<float[]> dense, IReadOnlyList<Dictionary<int, int>[]> lexical)
    {
        var d = dense[rows[0]].Length;
        var matrix = new float[rows.Count * d];
        var start = new int[rows.Count + 1];
        var capacity = 0;
        foreach (var r in rows)
            foreach (var channel in lexical[r]) capacity += channel.Count;
        var index = new int[capacity];
        var value = new double[capacity];
        var at = 0;
        for (var r = 0; r < rows.Count; r++)
        {
            Array.Copy(dense[rows[r]], 0, matrix, (long)r * d, d);
            at += VectoriseInto(lexical[rows[r]], index, value, at);
            start[r + 1] = at;
        }
        return new FeatureRows(d, Count, matrix, start, index[..at], value[..at]);
    }
}
