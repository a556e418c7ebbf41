using Dfid.Reporting;

namespace Dfid.Tests.Reporting;

public sealed class ReportNumbersTests
{
    [Theory]
    [InlineData(0.3044, "+0.304")]
    [InlineData(-0.1875, "-0.188")] // half away from zero
    [InlineData(0.0005, "+0.001")]
    [InlineData(-0.0004, "0.000")] // no "-0.000"
    [InlineData(0.0, "0.000")]
    public void Signed_RoundsToThreeDecimalsWithSign(double v, string expected) => Assert.Equal(expected, ReportNumbers.Signed(v));

    [Theory]
    [InlineData(0.00019, "0.0002")]
    [InlineData(0.00004, "< 0.0001")]
    [InlineData(0.00005, "0.0001")]
    [InlineData(1.0, "1.0000")]
    public void PValue_FourDecimalsWithFloor(double p, string expected) => Assert.Equal(expected, ReportNumbers.PValue(p));

    [Fact]
    public void MissingOrNonFinite_IsNa()
    {
        Assert.Equal("n/a", ReportNumbers.Estimate(null));
        Assert.Equal("n/a", ReportNumbers.Signed(double.NaN));
        Assert.Equal("n/a", ReportNumbers.Interval(0.1, null));
        Assert.Equal("n/a", ReportNumbers.Percent(double.PositiveInfinity));
    }

    [Fact]
    public void PercentAndPoints_OneDecimal()
    {
        Assert.Equal("25.1%", ReportNumbers.Percent(25.05));
        Assert.Equal("+18.2 pp", ReportNumbers.PercentPoints(18.2));
        Assert.Equal("-11.6 pp", ReportNumbers.PercentPoints(-11.64));
        Assert.Equal("[0.140, 0.460]", ReportNumbers.Interval(0.14, 0.4604));
    }
}
