using System.Diagnostics;

namespace Dfid.Models;

/// <summary>
/// The one place where an exception from a model-backed step becomes data: a failed <see cref="Answer{T}"/> with status
/// <see cref="AnswerStatus.ModelError"/>, the model and the attempts it took. Cancellation and the run's stop signal
/// (<see cref="BudgetExhaustedException"/>) are not failures of the step and pass through.
/// </summary>
internal static class AnswerGuard
{
    /// <summary>Runs <paramref name="step"/>; an exception other than cancellation or a stop becomes a recorded model error.</summary>
    /// <typeparam name="T">The step's value.</typeparam>
    /// <param name="step">The simulator, instrument or labeller call.</param>
    /// <param name="model">The component's model spec, recorded when the exception does not name one (null: none).</param>
    /// <param name="cancellationToken">The token the step runs under: its cancellation passes through.</param>
    /// <exception cref="BudgetExhaustedException">The budget cap was reached: the caller must stop scheduling.</exception>
    /// <exception cref="OperationCanceledException">Cancelled.</exception>
    /// <exception cref="Batch.AnswerDeferredException">A batch-executed step's answer is not there yet (not a failure).</exception>
    public static async Task<Answer<T>> RunAsync<T>(Func<CancellationToken, Task<Answer<T>>> step, string? model, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(step);
        var watch = Stopwatch.StartNew();
        try
        {
            return await step(cancellationToken);
        }
        catch (Exception ex) when (!IsStop(ex) && ex is not Batch.AnswerDeferredException && !(ex is OperationCanceledException && cancellationToken.IsCancellationRequested))
        {
            var failed = ex as ModelCallException ?? ex.InnerException as ModelCallException;
            var call = failed is not null || model is not null
                ? new ModelCall(failed?.Model ?? model!, null, null, watch.Elapsed.TotalMilliseconds, CacheHit: false, Attempts: failed?.Attempts ?? 1)
                : null;
            return Answer<T>.Failed(AnswerStatus.ModelError, ex.GetType().Name + ": " + ex.Message, call);
        }
    }

    /// <summary>Whether <paramref name="exception"/> (or the exception it wraps) is the run's stop signal.</summary>
    public static bool IsStop(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return exception is BudgetExhaustedException || exception.InnerException is BudgetExhaustedException;
    }
}
