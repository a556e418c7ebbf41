namespace Dfid.Analysis.Statistics;

/// <summary>One group's counts in a log-rank test (R <c>survdiff</c>'s <c>n</c>, <c>obs</c>, <c>exp</c>).</summary>
/// <param name="Subjects">Subjects in the group.</param>
/// <param name="Observed">Events observed in the group.</param>
/// <param name="Expected">Events expected under equal hazards: Σ over event times of d·nᵢ/n.</param>
public readonly record struct LogRankGroup(int Subjects, int Observed, double Expected);

/// <summary>The log-rank test of equal survival across groups (R <c>survdiff(..., rho = 0)</c>).</summary>
/// <param name="Groups">Per group code 0..k−1, summed over strata.</param>
/// <param name="Strata">Per stratum code, per group code: the same counts within the stratum (R's <c>obs</c> and
/// <c>exp</c> matrices). One entry when the test is not stratified.</param>
/// <param name="Variance">k×k covariance matrix of observed − expected, summed over strata (R <c>var</c>);
/// <c>Variance[i][j]</c>.</param>
/// <param name="ChiSquare">(O − E)ᵀ V⁻¹ (O − E) over the groups with expected &gt; 0, leaving out the first of them.</param>
/// <param name="DegreesOfFreedom">Groups with expected &gt; 0, minus one (as R: −1 when there is no event at all).</param>
/// <param name="PValue">Upper tail of χ² on <paramref name="DegreesOfFreedom"/>.</param>
public readonly record struct LogRankResult(
    IReadOnlyList<LogRankGroup> Groups,
    IReadOnlyList<IReadOnlyList<LogRankGroup>> Strata,
    IReadOnlyList<IReadOnlyList<double>> Variance,
    double ChiSquare, int DegreesOfFreedom, double PValue);

public static partial class Survival
{
    /// <summary>Log-rank test that the groups share one survival curve, equal to R's
    /// <c>survdiff(Surv(time, event) ~ group)</c> (rho = 0).</summary>
    /// <param name="time">Time of each subject (event or censoring).</param>
    /// <param name="eventObserved">Per subject: true when the event was observed, false when censored.</param>
    /// <param name="group">Per subject: group code 0..k−1 (e.g. 0 = real, 1 = simulated).</param>
    /// <remarks>See <see cref="StratifiedLogRank"/> for degenerate input.</remarks>
    /// <exception cref="ArgumentException">The spans differ in length, a time is not finite, or a group code is
    /// negative or not below the number of subjects.</exception>
    public static LogRankResult LogRank(ReadOnlySpan<double> time, ReadOnlySpan<bool> eventObserved, ReadOnlySpan<int> group) =>
        StratifiedLogRank(time, eventObserved, group, new int[time.Length]);

    /// <summary>Stratified log-rank test, equal to R's <c>survdiff(Surv(time, event) ~ group + strata(stratum))</c>
    /// (rho = 0): observed and expected events and their covariance are computed within each stratum and summed,
    /// so groups are compared only with subjects of their own stratum (e.g. real vs simulated within the
    /// not-converted and converted strata, pooled into one test).</summary>
    /// <param name="time">Time of each subject (event or censoring).</param>
    /// <param name="eventObserved">Per subject: true when the event was observed, false when censored.</param>
    /// <param name="group">Per subject: group code 0..k−1.</param>
    /// <param name="stratum">Per subject: stratum code 0..s−1.</param>
    /// <remarks>
    /// k is the largest group code + 1 and s the largest stratum code + 1; a code without subjects gets zero counts.
    /// As R, a group whose expected count is 0 (no subjects at risk at any event time, e.g. all censored before the
    /// first event) is left out of the statistic and the degrees of freedom. Degenerate input, as R: fewer than two
    /// groups with expected &gt; 0 gives χ² = 0 with df = 0 and p = 1, or with df = −1 and p = NaN when there is no
    /// event at all (R warns "NaNs produced"); a numerically singular covariance (e.g. every event time removes
    /// everyone at risk, where R's <c>solve</c> stops with an error) gives χ² and p NaN. R refuses a single group;
    /// here it is the df = 0 case.
    /// </remarks>
    /// <exception cref="ArgumentException">The spans differ in length, a time is not finite, or a group or stratum
    /// code is negative or not below the number of subjects.</exception>
    public static LogRankResult StratifiedLogRank(
        ReadOnlySpan<double> time, ReadOnlySpan<bool> eventObserved, ReadOnlySpan<int> group, ReadOnlySpan<int> stratum)
    {
        CheckSubjects(time, eventObserved);
        var k = CodeCount(group, time.Length, nameof(group));
        var s = CodeCount(stratum, time.Length, nameof(stratum));

        var variance = new double[k, k];
        var observed = new int[s, k];
        var expected = new double[s, k];
        var subjects = new int[s, k];
        for (var i = 0; i < time.Length; i++) subjects[stratum[i], group[i]]++;

        var order = OrderByTime(time);
        var atRisk = new int[k];
        var deaths = new int[k];
        var leaving = new int[k];
        for (var h = 0; h < s; h++)
        {
            var n = 0;
            for (var j = 0; j < k; j++) n += atRisk[j] = subjects[h, j];
            for (var i = 0; i < order.Length;)
            {
                var t = time[order[i]];
                Array.Clear(deaths);
                Array.Clear(leaving);
                for (; i < order.Length && time[order[i]] == t; i++)
                {
                    var subject = order[i];
                    if (stratum[subject] != h) continue;
                    leaving[group[subject]]++;
                    if (eventObserved[subject]) deaths[group[subject]]++;
                }
                var d = 0;
                foreach (var x in deaths) d += x;
                if (d > 0)
                {
                    for (var j = 0; j < k; j++)
                    {
                        observed[h, j] += deaths[j];
                        expected[h, j] += (double)d * atRisk[j] / n;
                    }
                    // Hypergeometric covariance of the group death counts given the margins (zero when n = 1 or d = n).
                    if (n > 1)
                    {
                        var c = (double)d * (n - d) / ((double)n * (n - 1));
                        for (var a = 0; a < k; a++)
                            for (var b = 0; b < k; b++)
                                variance[a, b] += c * atRisk[a] * ((a == b ? n : 0) - atRisk[b]) / n;
                    }
                }
                for (var j = 0; j < k; j++)
                {
                    atRisk[j] -= leaving[j];
                    n -= leaving[j];
                }
            }
        }

        var groups = new LogRankGroup[k];
        var strata = new IReadOnlyList<LogRankGroup>[s];
        for (var h = 0; h < s; h++)
        {
            var row = new LogRankGroup[k];
            for (var j = 0; j < k; j++) row[j] = new LogRankGroup(subjects[h, j], observed[h, j], expected[h, j]);
            strata[h] = row;
        }
        for (var j = 0; j < k; j++)
        {
            int sub = 0, obs = 0;
            double exp = 0;
            for (var h = 0; h < s; h++) { sub += subjects[h, j]; obs += observed[h, j]; exp += expected[h, j]; }
            groups[j] = new LogRankGroup(sub, obs, exp);
        }
        var (chi, df) = ChiSquare(groups, variance);
        var p = df switch
        {
            < 0 => double.NaN,
            0 => 1.0, // R: pchisq(0, 0, lower.tail = FALSE) = 1
            _ => double.IsNaN(chi) ? double.NaN : MathNet.Numerics.SpecialFunctions.GammaUpperRegularized(df / 2.0, chi / 2),
        };
        var v = new IReadOnlyList<double>[k];
        for (var a = 0; a < k; a++)
        {
            var row = new double[k];
            for (var b = 0; b < k; b++) row[b] = variance[a, b];
            v[a] = row;
        }
        return new LogRankResult(groups, strata, v, chi, df, p);
    }

    /// <summary>R survdiff's statistic: groups with expected &gt; 0, the first dropped, solved against the covariance.</summary>
    private static (double Chi, int Df) ChiSquare(LogRankGroup[] groups, double[,] variance)
    {
        var used = new List<int>();
        for (var j = 0; j < groups.Length; j++)
            if (groups[j].Expected > 0) used.Add(j);
        var df = used.Count - 1;
        if (used.Count < 2) return (0, df);
        used.RemoveAt(0);
        var m = used.Count;
        // Gaussian elimination with partial pivoting on [V | O − E]; m is the number of groups minus one (tiny).
        var a = new double[m, m + 1];
        double scale = 0;
        for (var r = 0; r < m; r++)
        {
            for (var c = 0; c < m; c++)
            {
                a[r, c] = variance[used[r], used[c]];
                scale = Math.Max(scale, Math.Abs(a[r, c]));
            }
            a[r, m] = groups[used[r]].Observed - groups[used[r]].Expected;
        }
        for (var c = 0; c < m; c++)
        {
            var pivot = c;
            for (var r = c + 1; r < m; r++)
                if (Math.Abs(a[r, c]) > Math.Abs(a[pivot, c])) pivot = r;
            // R's solve refuses a system whose reciprocal condition is below machine ε; a vanishing pivot is that case here.
            if (!(Math.Abs(a[pivot, c]) > 1e-13 * scale)) return (double.NaN, df);
            if (pivot != c)
                for (var x = c; x <= m; x++) (a[c, x], a[pivot, x]) = (a[pivot, x], a[c, x]);
            for (var r = c + 1; r < m; r++)
            {
                var f = a[r, c] / a[c, c];
                for (var x = c; x <= m; x++) a[r, x] -= f * a[c, x];
            }
        }
        var solution = new double[m];
        for (var r = m - 1; r >= 0; r--)
        {
            var sum = a[r, m];
            for (var c = r + 1; c < m; c++) sum -= a[r, c] * solution[c];
            solution[r] = sum / a[r, r];
        }
        double chi = 0;
        for (var r = 0; r < m; r++) chi += solution[r] * (groups[used[r]].Observed - groups[used[r]].Expected);
        return (chi, df);
    }

    private static int CodeCount(ReadOnlySpan<int> codes, int subjects, string name)
    {
        if (codes.Length != subjects)
            throw new ArgumentException($"{name} has {codes.Length} entries but time has {subjects}; give one code per subject.", name);
        var max = -1;
        for (var i = 0; i < codes.Length; i++)
        {
            if (codes[i] < 0 || codes[i] >= subjects)
                throw new ArgumentException($"{name}[{i}] is {codes[i]}; codes must be 0, 1, ... (one per {name}, below the number of subjects {subjects}).", name);
            max = Math.Max(max, codes[i]);
        }
        return max + 1;
    }
}
