/// What one SVG chart shows, in data units; ``svg()`` draws it.
///
/// Every chart in a report is one of these: lines (spectra, timelines), rectangles (histograms, bars),
/// error bars (changes with their confidence intervals), shaded bands (fault windows, noise thresholds) and
/// reference rules (targets), over two ``Scale``s.
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
        /// What a band marks, which sets its colour.
        enum Style: String, Sendable {
            /// A fault's window (red).
            case fault
            /// A window in which the host was disturbed (amber).
            case disturbance
        }

        var from: Double
        var to: Double
        var label: String
        var style: Style = .fault
    }

    /// A horizontal error bar at category `y`: a line from `lower` to `upper` with end caps and a dot at
    /// `estimate`, e.g. a change with its confidence interval. An end beyond the x axis is cut at the plot's
    /// edge and drawn without a cap.
    struct Interval: Sendable {
        var y: Double
        var lower: Double
        var upper: Double
        var estimate: Double
        var color: Int
        /// Shown on hover and read by screen readers.
        var tooltip: String
    }

    /// A dashed reference line at a value of one axis, e.g. a latency target; an empty label draws none.
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
    /// What the bands are, in the legend.
    var bandName = "fault window"
    /// `true` draws the bands in grey (a tolerance, not an event such as a fault).
    var neutralBands = false
    var intervals: [Interval] = []
    var rules: [Rule] = []
    var width = 640.0
    var height = 300.0

    /// Colour index for targets: a red that the palette's lines do not use.
    static let targetColor = -1
    /// Colour index for marks that show "nothing to see": a light grey.
    static let neutralColor = -2
}
