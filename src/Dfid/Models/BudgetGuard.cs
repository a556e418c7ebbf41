using System.Globalization;
using Microsoft.Extensions.AI;

namespace Dfid.Models;

/// <summary>
/// The host-wide budget: before each provider request it reserves the request's worst-case cost (prompt estimate plus
/// max_tokens or the assumed completion length) and one call; a request whose reservation would pass a cap is refused
/// with <see cref="BudgetExhaustedException"/> and never sent. After the answer the reservation becomes the real cost.
/// </summary>
internal sealed class BudgetGuard(ModelLayerOptions options, UsageMeter meter)
{
    private readonly Lock _gate = new();
    private decimal _spent, _reservedCost;
    private long _calls, _reservedCalls;

    public bool Active => options.MaxCostUsd is not null || options.MaxCalls is not null;

    public (decimal Cost, bool Reserved) Reserve(ModelSpec spec, ModelPrice? price, IReadOnlyList<ChatMessage> messages, ChatOptions? chatOptions)
    {
        if (!Active) return (0, false);
        if (options.MaxCostUsd is not null && price is null)
            throw new DfidException(
                $"budget.max_cost_usd is set but the price of {spec.Id} is unknown, so the budget cannot be enforced. "
                + "Add the model to a price file (--prices FILE: {\"models\": {\"" + spec.Model + "\": {\"input_per_million\": X, \"output_per_million\": Y}}}) or remove max_cost_usd.", 2);
        var estimate = price?.Cost(TokenEstimate.Prompt(messages), chatOptions?.MaxOutputTokens ?? options.AssumedCompletionTokens) ?? 0;
        lock (_gate)
        {
            if (options.MaxCalls is { } maxCalls && _calls + _reservedCalls + 1 > maxCalls)
                throw Exhausted($"budget.max_calls = {maxCalls} reached: {_calls} model calls made. "
                    + "Raise budget.max_calls (or --max-calls) and re-run to continue; answers already received are cached and reused.");
            if (options.MaxCostUsd is { } maxCost && _spent + _reservedCost + estimate > maxCost)
                throw Exhausted($"budget.max_cost_usd = ${Usd(maxCost)} reached: spent ${Usd(_spent)} on {_calls} calls; "
                    + $"the next call to {spec.Id} could cost up to ${Usd(estimate)}. "
                    + "Raise budget.max_cost_usd (or --max-cost) and re-run to continue; answers already received are cached and reused.");
            _reservedCalls++;
            _reservedCost += estimate;
        }
        return (estimate, true);
    }

    public void Settle((decimal Cost, bool Reserved) reservation, decimal? actualCost, bool sent)
    {
        if (!reservation.Reserved) return;
        lock (_gate)
        {
            _reservedCalls--;
            _reservedCost -= reservation.Cost;
            if (sent)
            {
                _calls++;
                _spent += actualCost ?? reservation.Cost;
            }
        }
    }

    private BudgetExhaustedException Exhausted(string message) => new(message, meter.Snapshot());

    private static string Usd(decimal d) => d.ToString("0.####", CultureInfo.InvariantCulture);
}

/// <summary>Refuses a request that would pass the budget (see <see cref="BudgetGuard"/>); sits below the cache so hits are free.</summary>
internal sealed class BudgetChatClient(IChatClient inner, BudgetGuard guard, ModelSpec spec, ModelPrice? price) : DelegatingChatClient(inner)
{
    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var list = messages as IReadOnlyList<ChatMessage> ?? [.. messages];
        var reservation = guard.Reserve(spec, price, list, options);
        var sent = false;
        decimal? actual = null;
        try
        {
            var response = await base.GetResponseAsync(list, options, cancellationToken);
            sent = true;
            if (price is not null && response.Usage is { } u)
                actual = price.Cost(u.InputTokenCount ?? 0, u.OutputTokenCount ?? 0);
            return response;
        }
        catch (ModelCallException)
        {
            // A failed request may still have been billed; keep the reservation as spent (the cautious side).
            sent = true;
            throw;
        }
        finally { guard.Settle(reservation, actual, sent); }
    }

    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var list = messages as IReadOnlyList<ChatMessage> ?? [.. messages];
        var reservation = guard.Reserve(spec, price, list, options);
        try
        {
            await foreach (var u in base.GetStreamingResponseAsync(list, options, cancellationToken)) yield return u;
        }
        finally { guard.Settle(reservation, null, true); }
    }
}
