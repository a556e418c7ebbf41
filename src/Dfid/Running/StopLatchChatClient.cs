using Dfid.Models;
using Microsoft.Extensions.AI;

namespace Dfid.Running;

/// <summary>Remembers the first budget stop seen by any client of a run, whatever the caller does with the exception.</summary>
/// <remarks>Instruments turn model exceptions into failed labels; the run still needs to know that the budget ended it.</remarks>
public sealed class RunStopLatch
{
    private string? _reason;

    /// <summary>Why the run must stop, or null.</summary>
    public string? Reason => Volatile.Read(ref _reason);

    /// <summary>Records the stop (the first reason wins).</summary>
    public void Trip(string reason) => Interlocked.CompareExchange(ref _reason, reason, null);
}

/// <summary>Trips a <see cref="RunStopLatch"/> when the model layer refuses a request for budget reasons, then rethrows.</summary>
internal sealed class StopLatchChatClient(IChatClient inner, RunStopLatch latch) : DelegatingChatClient(inner)
{
    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        try
        {
            return await base.GetResponseAsync(messages, options, cancellationToken);
        }
        catch (BudgetExhaustedException ex)
        {
            latch.Trip(ex.Message);
            throw;
        }
    }

    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        IAsyncEnumerator<ChatResponseUpdate> e;
        try
        {
            e = base.GetStreamingResponseAsync(messages, options, cancellationToken).GetAsyncEnumerator(cancellationToken);
        }
        catch (BudgetExhaustedException ex)
        {
            latch.Trip(ex.Message);
            throw;
        }
        await using (e)
        {
            while (true)
            {
                bool more;
                try
                {
                    more = await e.MoveNextAsync();
                }
                catch (BudgetExhaustedException ex)
                {
                    latch.Trip(ex.Message);
                    throw;
                }
                if (!more) yield break;
                yield return e.Current;
            }
        }
    }
}
