namespace Dfid.Analysis.Statistics;

/// <summary>How the pointwise confidence interval of a Kaplan–Meier curve is formed (R's <c>survfit(conf.type = ...)</c>).</summary>
public enum SurvivalConfidenceType
{
    /// <summary>R's default <c>"log"</c>: exp(log S ± z·se(log S)), the upper bound capped at 1.</summary>
    Log,

    /// <summary>R's <c>"plain"</c>: S ± z·S·se(log S), clipped to [0, 1].</summary>
    Plain,

    /// <summary>R's <c>"log-log"</c>: exp(−exp(log(−log S) ∓ z·se(log S) / log S)); undefined where S is 0 or 1.</summary>
    LogLog,
}

/// <summary>One row of a Kaplan–Meier curve: a distinct time at which at least one subject had the event or was censored
/// (the rows of R's <c>survfit</c> object, censoring-only times included).</summary>
/// <param name="Time">The time (here: user turns).</param>
/// <param name="AtRisk">Subjects whose time is ≥ <paramref name="Time"/> (R <c>n.risk</c>).</param>
/// <param name="Events">Events at this time (R <c>n.event</c>).</param>
/// <param name="Censored">Subjects censored at this time (R <c>n.censor</c>); they count as at risk at this time.</param>
/// <param name="Survival">Kaplan–Meier S(t), the product of (1 − events/at-risk) up to and including this time (R <c>surv</c>).</param>
/// <param name="StdErrLogSurvival">Greenwood standard error of log S(t), sqrt(Σ d/(n(n − d))) (R <c>fit$std.err</c>);
/// +∞ from the time S reaches 0 on.</param>
/// <param name="StdErrSurvival">Greenwood standard error of S(t) itself, S·<paramref name="StdErrLogSurvival"/>
/// (R <c>summary(fit)$std.err</c>); NaN where S is 0 (R NaN).</param>
/// <param name="Lower">Lower pointwise confidence bound (R <c>lower</c>); NaN where R gives NA.</param>
/// <param name="Upper">Upper pointwise confidence bound (R <c>upper</c>); NaN where R gives NA.</param>
public readonly record struct KaplanMeierStep(
    double Time, int AtRisk, int Events, int Censored, double Survival,
    double StdErrLogSurvival, double StdErrSurvival, double Lower, double Upper);

/// <summary>A Kaplan–Meier curve with Greenwood pointwise confidence intervals.</summary>
/// <param name="Steps">One row per distinct time, ascending.</param>
/// <param name="Subjects">Subjects (R <c>n</c>, the <c>records</c> of <c>print(fit)</c>).</param>
/// <param name="Events">Events in total.</param>
/// <param name="ConfidenceLevel">Level of the pointwise intervals (R <c>conf.int</c>).</param>
/// <param name="ConfidenceType">How the intervals are formed (R <c>conf.type</c>).</param>
public readonly record struct KaplanMeierCurve(
    IReadOnlyList<KaplanMeierStep> Steps, int Subjects, int Events, double ConfidenceLevel, SurvivalConfidenceType ConfidenceType);

/// <summary>Median survival time with its confidence interval, as R's <c>print(survfit)</c> reports it.</summary>
/// <param name="Median">Median time; NaN when the curve never falls to 0.5 (R NA).</param>
/// <param name="Lower">Lower bound (R <c>0.95LCL</c>): where the lower confidence curve first falls to 0.5; NaN if never.</param>
/// <param name="Upper">Upper bound (R <c>0.95UCL</c>): where the upper confidence curve first falls to 0.5; NaN if never
/// (common: with few subjects the upper curve stays above 0.5).</param>
public readonly record struct SurvivalMedian(double Median, double Lower, double Upper);

/// <summary>Survival analysis of right-censored times, matching R's <c>survival</c> package
/// (<c>survfit</c>, <c>print.survfit</c>, <c>survdiff</c>).</summary>
/// <remarks>Times are compared exactly (R's <c>timefix</c> only merges times that differ by rounding error; the turn
/// counts used here are integers). No I/O, no state: every function depends on its arguments only.</remarks>
public static partial class Survival
{
    // R's sqrt(.Machine$double.eps): .Machine$double.eps is 2⁻⁵², the gap after 1 (not double.Epsilon, the smallest subnormal).
    private static readonly double MedianTolerance = Math.Sqrt(Math.Pow(2, -52));

    /// <summary>Kaplan–Meier estimate with Greenwood standard errors and pointwise confidence intervals, equal to R's
    /// <c>survfit(Surv(time, event) ~ 1, conf.type = ..., conf.int = ...)</c>.</summary>
    /// <param name="time">Time of each subject: when the event happened, or when observation stopped (censoring).</param>
    /// <param name="eventObserved">Per subject: true when the event (here: the user's exit) was observed at
    /// <paramref name="time"/>, false when censored there (the turn cap, or a decision).</param>
    /// <param name="confidenceLevel">Level of the pointwise intervals, in (0, 1); R's default 0.95.</param>
    /// <param name="confidenceType">Interval form; R's default <see cref="SurvivalConfidenceType.Log"/>.</param>
    /// <remarks>
    /// Degenerate input, as R: no subjects gives a curve with no steps; no events (all censored) gives S = 1,
    /// standard errors 0 and bounds 1 (log and plain) or NaN (log-log, undefined at S = 1) at every time;
    /// where S reaches 0 the Greenwood se of log S is +∞, the se of S is NaN and the bounds are NaN (R NA).
    /// With plain intervals the bounds are clipped to [0, 1]; with log intervals the upper bound is capped at 1.
    /// </remarks>
    /// <exception cref="ArgumentException">The spans differ in length, or a time is NaN or infinite.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="confidenceLevel"/> is not in (0, 1).</exception>
    public static KaplanMeierCurve KaplanMeier(
        ReadOnlySpan<double> time, ReadOnlySpan<bool> eventObserved,
        double confidenceLevel = 0.95, SurvivalConfidenceType confidenceType = SurvivalConfidenceType.Log)
    {
        CheckSubjects(time, eventObserved);
        if (!(confidenceLevel > 0 && confidenceLevel < 1))
            throw new ArgumentOutOfRangeException(nameof(confidenceLevel), confidenceLevel, "The confidence level must be in (0, 1), e.g. 0.95.");
        if (!Enum.IsDefined(confidenceType)) throw new ArgumentOutOfRangeException(nameof(confidenceType), confidenceType, "Unknown confidence type.");

        var n = time.Length;
        var order = OrderByTime(time);
        var z = MathNet.Numerics.Distributions.Normal.InvCDF(0, 1, 1 - (1 - confidenceLevel) / 2);
        var steps = new List<KaplanMeierStep>();
        double surv = 1, greenwood = 0;
        int atRisk = n, totalEvents = 0;
        for (var i = 0; i < n;)
        {
            var t = time[order[i]];
            int events = 0, censored = 0;
            for (; i < n && time[order[i]] == t; i++)
                if (eventObserved[order[i]]) events++;
                else censored++;
            if (events > 0)
            {
                surv *= (double)(atRisk - events) / atRisk;
                // Greenwood: var(log S) = Σ d / (n (n − d)); infinite once everyone at risk has the event.
                greenwood += atRisk == events ? double.PositiveInfinity : events / ((double)atRisk * (atRisk - events));
            }
            var seLog = Math.Sqrt(greenwood);
            var (lower, upper) = Interval(surv, seLog, z, confidenceType);
            // R's summary.survfit reports std.err × surv: 0 × ∞ is NaN there too.
            steps.Add(new KaplanMeierStep(t, atRisk, events, censored, surv, seLog, surv * seLog, lower, upper));
            totalEvents += events;
            atRisk -= events + censored;
        }
        return new KaplanMeierCurve(steps, n, totalEvents, confidenceLevel, confidenceType);
    }

    /// <summary>Median survival time and its confidence interval, as R's <c>print(survfit)</c>
    /// (<c>summary(fit)$table</c>): the first time the curve (for the bounds: the lower or upper confidence curve)
    /// is at or below 0.5.</summary>
    /// <param name="curve">A curve from <see cref="KaplanMeier"/>; the bounds follow its confidence type and level.</param>
    /// <remarks>
    /// As R: a value within sqrt(machine ε) of 0.5 counts as 0.5, and when the curve sits exactly at 0.5 on a flat
    /// stretch the answer is the midpoint between the first time it reached 0.5 and the next time it drops below;
    /// NaN bound values (R NA, e.g. where S = 0) are skipped. Each field is NaN when its curve never reaches 0.5,
    /// in particular for a curve with no events or no steps.
    /// </remarks>
    public static SurvivalMedian Median(KaplanMeierCurve curve)
    {
        ArgumentNullException.ThrowIfNull(curve.Steps);
        var steps = curve.Steps;
        return new SurvivalMedian(
            FirstAtHalf(steps, static s => s.Survival),
            FirstAtHalf(steps, static s => s.Lower),
            FirstAtHalf(steps, static s => s.Upper));
    }

    /// <summary>R's <c>survfit_confint</c> with <c>logse = TRUE</c> and <c>ulimit = TRUE</c>.</summary>
    private static (double Lower, double Upper) Interval(double surv, double seLog, double z, SurvivalConfidenceType type)
    {
        switch (type)
        {
            case SurvivalConfidenceType.Plain:
                {
                    // At S = 0: ∞ × 0 = NaN, and R's pmax/pmin keep NaN.
                    var half = seLog * surv * z;
                    return (NaNMax(surv - half, 0), NaNMin(surv + half, 1));
                }
            case SurvivalConfidenceType.Log:
                {
                    if (surv == 0) return (double.NaN, double.NaN);
                    var half = z * seLog;
                    return (Math.Exp(Math.Log(surv) - half), NaNMin(Math.Exp(Math.Log(surv) + half), 1));
                }
            default:
                {
                    if (surv == 0 || surv == 1) return (double.NaN, double.NaN);
                    var logSurv = Math.Log(surv);
                    var half = z * seLog / logSurv;
                    var loglog = Math.Log(-logSurv);
                    return (Math.Exp(-Math.Exp(loglog - half)), Math.Exp(-Math.Exp(loglog + half)));
                }
        }

        static double NaNMax(double x, double bound) => double.IsNaN(x) ? x : Math.Max(x, bound);
        static double NaNMin(double x, double bound) => double.IsNaN(x) ? x : Math.Min(x, bound);
    }

    /// <summary>R's <c>minmin</c> inside <c>survmean</c> (print.survfit's median).</summary>
    private static double FirstAtHalf(IReadOnlyList<KaplanMeierStep> steps, Func<KaplanMeierStep, double> y)
    {
        var tolerance = MedianTolerance;
        var first = -1;
        for (var i = 0; i < steps.Count; i++)
        {
            var v = y(steps[i]);
            if (double.IsNaN(v) || !(v < 0.5 + tolerance)) continue;
            if (first < 0)
            {
                first = i;
                // Not on 0.5: the first time at or below it is the answer.
                if (!(Math.Abs(v - 0.5) < tolerance)) return steps[i].Time;
                continue;
            }
            // Exactly at 0.5 at `first`: the midpoint to the first later time strictly below that value.
            if (v < y(steps[first])) return (steps[first].Time + steps[i].Time) / 2;
        }
        return first < 0 ? double.NaN : steps[first].Time;
    }

    private static void CheckSubjects(ReadOnlySpan<double> time, ReadOnlySpan<bool> eventObserved)
    {
        if (eventObserved.Length != time.Length)
            throw new ArgumentException($"time has {time.Length} entries but eventObserved has {eventObserved.Length}; give one of each per subject.", nameof(eventObserved));
        for (var i = 0; i < time.Length; i++)
            if (!double.IsFinite(time[i]))
                throw new ArgumentException($"time[{i}] is {time[i]}; every subject needs a finite time (its event or censoring time).", nameof(time));
    }

    /// <summary>Subject indices sorted by time (the order within equal times does not matter: they are counted together).</summary>
    private static int[] OrderByTime(ReadOnlySpan<double> time)
    {
        var keys = time.ToArray();
        var order = new int[keys.Length];
        for (var i = 0; i < order.Length; i++) order[i] = i;
        Array.Sort(keys, order);
        return order;
    }
}
