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
        var column = _column ??= Ids.Select((id, j) => (id, j)).ToDictionary(x => x.id, x => x.j);
        var entries = new List<(int Column, double Value)>();
        foreach (var channel in channels)
        {
            var from = entries.Count;
            double norm = 0;
            foreach (var (id, count) in channel)
            {
                if (!column.TryGetValue(id, out var j)) continue;
                var v = (1 + Math.Log(count)) * Idf[j];
                entries.Add((j, v));
                norm += v * v;
            }
            if (norm <= 0) continue;
            var scale = 1 / Math.Sqrt(norm);
            for (var k = from; k < entries.Count; k++) entries[k] = (entries[k].Column, entries[k].Value * scale);
        }
        // Channels never share a column (their ids are salted differently), so sorting gives a valid sparse row;
        // a hash collision across channels would only add a duplicate column, which the sums handle.
        entries.Sort((a, b) => a.Column != b.Column ? a.Column.CompareTo(b.Column) : a.Value.CompareTo(b.Value));
        return ([.. entries.Select(e => e.Column)], [.. entries.Select(e => e.Value)]);
    }

    /// <summary>Rows of a matrix: dense blocks as given, sparse blocks vectorised by this lexicon.</summary>
    public FeatureRows Rows(IReadOnlyList<int> rows, IReadOnlyList<double[]> dense, IReadOnlyList<Dictionary<int, int>[]> lexical)
    {
        var d = dense[rows[0]].Length;
        var matrix = new double[rows.Count * d];
        var start = new int[rows.Count + 1];
        var index = new List<int>();
        var value = new List<double>();
        for (var r = 0; r < rows.Count; r++)
        {
            Array.Copy(dense[rows[r]], 0, matrix, (long)r * d, d);
            var (idx, val) = Vectorise(lexical[rows[r]]);
            index.AddRange(idx);
            value.AddRange(val);
            start[r + 1] = index.Count;
        }
        return new FeatureRows(d, Count, matrix, start, [.. index], [.. value]);
    }
}
