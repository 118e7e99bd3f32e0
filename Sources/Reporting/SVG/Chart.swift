/// What one SVG chart shows, in data units; ``svg()`` draws it.
///
/// Every chart in a report is one of these: lines (spectra, timelines), rectangles (histograms, bars),
/// shaded bands (fault windows) and reference rules (targets), over two ``Scale``s.
struct Chart: Sendable {
    /// A polyline; `step` draws it as a staircase (each value holds until the next point); `dashed` keeps a
    /// subset visible where it coincides with the whole; `filled` makes it an area down to the x axis (give
    /// stacked totals, largest first).
    struct Series: Sendable {
        var name: String
        var color: Int
        var points: [(x: Double, y: Double)]
        var step = false
        var dashed = false
        var filled = false
    }

    /// A filled rectangle from (x0, y0) to (x1, y1), e.g. one histogram bin or one bar.
    struct Bar: Sendable {
        var x0: Double
        var x1: Double
        var y0: Double
        var y1: Double
        var color: Int
        /// Shown on hover and read by screen readers.
        var tooltip: String
    }

    /// A shaded range of x with a label at its top, e.g. a fault window.
    struct Band: Sendable {
        var from: Double
        var to: Double
        var label: String
    }

    /// A dashed reference line at a value of one axis, e.g. a latency target.
    struct Rule: Sendable {
        enum Axis: Sendable {
            case x
            case y
        }
        var axis: Axis
        var value: Double
        var label: String
        var color: Int = Chart.targetColor
        /// Where an x rule's label goes: at the top of the plot (clear of histogram bars) or the bottom.
        var labelAtTop = false
    }

    /// A legend row entry for bars (lines, bands and rules name themselves).
    struct Key: Sendable {
        var name: String
        var color: Int
    }

    var title: String
    var x: Scale
    var y: Scale
    /// Axis titles with their units, e.g. "time (s)".
    var xTitle: String
    var yTitle: String
    var series: [Series] = []
    var bars: [Bar] = []
    var barKeys: [Key] = []
    var bands: [Band] = []
    var rules: [Rule] = []
    var width = 640.0
    var height = 300.0

    /// Colour index for targets: a red that the palette's lines do not use.
    static let targetColor = -1
}
