namespace Dfid.Instrument.Learned;

/// <summary>
/// Training rows with a dense block (row-major, float: the sentence vectors are float, and half the bytes to stream) and a sparse block (compressed rows: <see cref="RowStart"/>,
/// <see cref="Index"/>, <see cref="Value"/>; indices ascending within a row).
/// </summary>
internal sealed class FeatureRows
{
    public FeatureRows(int denseDims, int sparseDims, float[] dense, int[] rowStart, int[] index, double[] value)
    {
        if (rowStart.Length == 0) throw new ArgumentException("rowStart needs at least one entry.");
        Count = rowStart.Length - 1;
        if (denseDims < 0 || dense.Length != (long)Count * denseDims) throw new ArgumentException("dense block does not match the rows.");
        if (index.Length != value.Length || rowStart[^1] != index.Length) throw new ArgumentException("sparse block does not match the rows.");
        foreach (var j in index)
            if ((uint)j >= (uint)sparseDims) throw new ArgumentException($"sparse index {j} outside [0, {sparseDims}).");
        DenseDims = denseDims;
        SparseDims = sparseDims;
        Dense = dense;
        RowStart = rowStart;
        Index = index;
        Value = value;
    }

    public int Count { get; }

    public int DenseDims { get; }

    public int SparseDims { get; }

    public float[] Dense { get; }

    public int[] RowStart { get; }

    public int[] Index { get; }

    public double[] Value { get; }

    public ReadOnlySpan<float> DenseRow(int i) => Dense.AsSpan(i * DenseDims, DenseDims);

    public ReadOnlySpan<int> SparseIndex(int i) => Index.AsSpan(RowStart[i], RowStart[i + 1] - RowStart[i]);

    public ReadOnlySpan<double> SparseValue(int i) => Value.AsSpan(RowStart[i], RowStart[i + 1] - RowStart[i]);

    /// <summary>The rows <paramref name="rows"/> (in that order) as a new matrix.</summary>
    public FeatureRows Subset(IReadOnlyList<int> rows)
    {
        var dense = new float[rows.Count * DenseDims];
        var start = new int[rows.Count + 1];
        var nnz = 0;
        foreach (var r in rows) nnz += RowStart[r + 1] - RowStart[r];
        var index = new int[nnz];
        var value = new double[nnz];
        var at = 0;
        for (var k = 0; k < rows.Count; k++)
        {
            var r = rows[k];
            Array.Copy(Dense, (long)r * DenseDims, dense, (long)k * DenseDims, DenseDims);
            var len = RowStart[r + 1] - RowStart[r];
            Array.Copy(Index, RowStart[r], index, at, len);
            Array.Copy(Value, RowStart[r], value, at, len);
            at += len;
            start[k + 1] = at;
        }
        return new FeatureRows(DenseDims, SparseDims, dense, start, index, value);
    }
}
