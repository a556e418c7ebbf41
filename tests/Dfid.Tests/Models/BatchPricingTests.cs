using Dfid.Models;

namespace Dfid.Tests.Models;

public sealed class BatchPricingTests
{
    [Fact]
    public void PriceTable_BuiltInModels_BatchPriceIsHalfTheListPrice()
    {
        var openai = PriceTable.Default.FindBatch(ModelSpec.Parse("openai:gpt-4o-mini"))!;
        var anthropic = PriceTable.Default.FindBatch(ModelSpec.Parse("anthropic:claude-sonnet-4-0"))!;

        // List prices 0.15/0.60 and 3.00/15.00 per million (prices.json); batch bills half.
        Assert.Equal((0.075m, 0.30m), (openai.InputPerMillion, openai.OutputPerMillion));
        Assert.Equal((1.50m, 7.50m), (anthropic.InputPerMillion, anthropic.OutputPerMillion));
        // 1,000,000 prompt + 200,000 completion tokens of gpt-4o-mini: 0.075 + 0.06.
        Assert.Equal(0.135m, openai.Cost(1_000_000, 200_000));
    }

    [Fact]
    public void PriceTable_EntryWithBatchPrices_UsesThemAndKeepsListPrices()
    {
        var table = PriceTable.FromJson("""
            {"models": {
              "openai:special": {"input_per_million": 1.0, "output_per_million": 4.0, "batch_input_per_million": 0.8, "batch_output_per_million": 3.0},
              "openai:half-only-input": {"input_per_million": 1.0, "output_per_million": 4.0, "batch_input_per_million": 0.25}
            }}
            """, "test");

        var special = table.Find(ModelSpec.Parse("openai:special"))!;
        var batch = table.FindBatch(ModelSpec.Parse("openai:special"))!;
        var mixed = table.FindBatch(ModelSpec.Parse("openai:half-only-input"))!;

        Assert.Equal((1.0m, 4.0m), (special.InputPerMillion, special.OutputPerMillion));
        Assert.Equal((0.8m, 3.0m), (batch.InputPerMillion, batch.OutputPerMillion));
        Assert.Equal((0.25m, 2.0m), (mixed.InputPerMillion, mixed.OutputPerMillion));
    }

    [Fact]
    public void PriceTable_OldFormatWithoutBatchFields_StillLoads()
    {
        var table = PriceTable.FromJson("""{"about": "x", "models": {"m": {"input_per_million": 2, "output_per_million": 8}}}""", "old.json");

        var price = table.Find(ModelSpec.Parse("openai:m"))!;

        Assert.Equal(new ModelPrice(2, 8), price);
        Assert.Null(price.BatchInputPerMillion);
        Assert.Equal(new ModelPrice(1, 4), price.ForBatch());
    }

    [Fact]
    public void PriceTable_NegativeBatchPrice_RefusedNamingTheEntry()
    {
        var ex = Assert.Throws<DfidException>(() => PriceTable.FromJson(
            """{"models": {"openai:x": {"input_per_million": 1, "output_per_million": 1, "batch_output_per_million": -1}}}""", "bad.json"));

        Assert.Contains("bad.json", ex.Message, StringComparison.Ordinal);
        Assert.Contains("openai:x", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void PriceTable_UnknownAndLocalModels_BatchPriceUnknownOrFree()
    {
        Assert.Null(PriceTable.Default.FindBatch(ModelSpec.Parse("openai:unheard-of")));
        Assert.Equal(new ModelPrice(0, 0), PriceTable.Default.FindBatch(ModelSpec.Parse("gguf:/m/tiny.gguf")));
    }
}
