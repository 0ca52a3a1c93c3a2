// Heart pendant case for the Waveshare RP2040-LCD-1.28 (round board) and a
// 200-300 mAh LiPo pouch cell. Parametric: change the numbers below, then
//   make enclosure        (renders heart_case.stl and heart_case.png)
// All sizes in mm.
//
// Sources and status of the dimensions (check them against your parts with
// calipers before printing; the clearances absorb small differences):
//   pcb_d        40.4  board outline diameter: approximate figure quoted for
//                      the round Waveshare board; Waveshare's dimension drawing
//                      (wiki RP2040-LCD-1.28, "Dimensions") was not available
//                      to check in this revision -> MEASURE
//   stack_h      9.5   board + glass + connectors, front of glass to the back
//                      of the tallest part (estimate -> MEASURE)
//   view_d       32.4  active area of a 1.28" 240x240 round IPS panel
//                      (1.28 in = 32.5 mm diagonal)
//   usb_w/usb_h  12.5/7.0 slot for a USB-C cable's overmould (the plug shell
//                      itself is 8.25 x 2.4 mm per the USB Type-C spec);
//                      usb_angle/usb_z: where the port is on YOUR board -> MEASURE
//   cell         502030 pouch (5.0 x 20 x 30 mm, ~250 mAh), the common size
//                      in this capacity range; 402535 = [35, 25, 4.0] also fits
//                      when heart_s >= 50.

/* [Board] */
pcb_d      = 40.4;
stack_h    = 9.5;
view_d     = 32.4;
clearance  = 0.4;     // radial play around the board
ring_t     = 1.2;     // locating ring around the board
ring_h     = 4.0;

/* [Cell] */
cell       = [30, 20, 5.0];   // length, width, thickness (502030)
cell_gap   = 1.0;             // foam / wires between board and cell

/* [USB-C opening] */
// A straight slot sized for the cable's plug overmould, from the outside to
// the receptacle, so the plug reaches the port however far the wall is.
usb_w      = 12.5;    // overmould width + play (typical USB-C cable: 11-12 mm)
usb_h      = 7.0;     // overmould height + play (typical: 6-6.5 mm)
usb_angle  = 0;       // direction the board's USB-C port faces (0 = right, -90 = down)
usb_z      = 2.5;     // centre of the port, measured from the back of the stack

/* [Shell] */
wall       = 1.6;
front      = 1.2;     // thickness in front of the glass
lid_t      = 1.6;
lid_lip    = 2.0;     // depth of the lid's locating lip
fit        = 0.25;    // lid lip play per side
heart_s    = 48;      // square side of the heart outline (must exceed pcb_d + 2*wall)

/* [Bail] */
// A rounded tab rising from the cleft between the lobes, with a hole across
// it (left-right, parallel to the front face) for the chain or a jump ring,
// so the pendant hangs face forward. Its front is flush with the case front,
// the hole is centred in the case's thickness so it hangs upright.
// Print orientation: the body FRONT FACE DOWN on the bed (as in the STL).
// The tab then stands on the bed, its sides are vertical, its top is a
// half-round, and the hole is a flat-topped teardrop (45-degree flanks, a
// ~1.5 mm bridge): no supports needed.
bail_hole_d   = 3.5;   // hole for the chain / jump ring (3-4 mm)
bail_wall     = 2.0;   // wall around the hole (>= 1.6 for FDM)
bail_w        = 4.0;   // width of the tab along the chain (left-right)
bail_offset   = 1.0;   // gap between the top of the lobes and the hole's bottom
bail_chamfer  = 0.4;   // 45-degree chamfer on the tab edges and the hole mouths
bail_r        = bail_hole_d / 2 + bail_wall;   // outer radius of the loop (derived)

/* [Output] */
part       = "both";  // "body", "lid", "both" (print layout: body front face
                      // down, back open and up; lid flat, lip up; no supports)
                      // or "show" (front face up, for the picture)
$fn        = 96;

// Camera for the picture (`make enclosure` renders part="show" with these,
// orthographic): from the USB-C side, above the front, so the window, the
// USB-C slot and the bail's hole are all in view; scales with heart_s.
$vpr = part == "show" ? [55, 0, 125] : undef;
$vpt = part == "show" ? [-heart_s * 0.83, 0, 0] : undef;
$vpd = part == "show" ? heart_s * 6.9 : undef;

inner_h = stack_h + cell_gap + cell[2];          // cavity depth behind the front
body_h  = front + inner_h;
assert(heart_s >= pcb_d + 2 * clearance + 2 * wall,
       "heart_s too small for the board");
assert(norm([cell[0], cell[1]]) <= pcb_d + 2, "cell wider than the board footprint");

// Classic heart: a square turned 45 degrees with two half-circle lobes.
// Its centre (origin) is the square's centre; the point is at -y.
module heart2d(s) {
    rotate(45) translate([-s / 2, -s / 2]) union() {
        square(s);
        translate([s / 2, s]) circle(d = s);
        translate([s, s / 2]) circle(d = s);
    }
}

// Where the board sits: in the upper half, between the lobes' widest part.
board_y = heart_s * 0.12;

module cavity2d() {
    offset(delta = -wall) heart2d(heart_s);
}

// Flat-topped teardrop, tip towards +y (= +z, up, once the bail is placed):
// 45-degree flanks cut off at the circle's top, so the hole keeps a full
// bail_wall above it and prints without support.
module teardrop2d(r) {
    intersection() {
        hull() {
            circle(r = r);
            polygon([[-r / sqrt(2), r / sqrt(2)], [0, r * sqrt(2)], [r / sqrt(2), r / sqrt(2)]]);
        }
        translate([-r - 1, -r - 1]) square([2 * r + 2, 2 * r + 1]);
    }
}

notch    = heart_s / sqrt(2);                 // cleft where the two lobes meet
lobe_top = heart_s * (sqrt(2) / 4 + 0.5);     // highest point of the lobes
bail_y   = lobe_top + bail_offset + bail_hole_d / 2;   // hole centre
bail_z   = body_h / 2;                        // hole centre, mid-thickness
bail_in  = 3 * wall;                          // how far the tab reaches into the case
assert(bail_wall >= 1.6, "bail_wall below 1.6 mm is too weak for FDM");
assert(bail_z + bail_r <= body_h, "bail loop taller than the case: reduce bail_hole_d/bail_wall");
assert(bail_w > 2 * bail_chamfer + 1, "bail_w too small for its chamfer");

// Side profile of the tab in (y, z): flat on the bed (front face) from inside
// the case out to the loop, vertical outer end, half-round top around the
// hole, sloping back to the full case thickness at the cleft. Convex.
module bail_profile() {
    hull() {
        translate([bail_y, bail_z]) circle(r = bail_r);
        translate([notch - bail_in, 0]) square([bail_y + bail_r - notch + bail_in, bail_z]);
        translate([notch - bail_in, 0]) square([bail_in, body_h]);
    }
}

// Built with the profile in the x-y plane and the width along z, then turned
// so the width runs along x (the chain direction) and the profile stands in y-z.
module bail() {
    c = bail_chamfer;
    r = bail_hole_d / 2;
    rotate([90, 0, 90]) difference() {
        hull() {
            linear_extrude(bail_w, center = true) offset(delta = -c) bail_profile();
            linear_extrude(bail_w - 2 * c, center = true) bail_profile();
        }
        translate([bail_y, bail_z, 0]) {
            linear_extrude(bail_w + 2, center = true) teardrop2d(r);
            for (s = [1, -1]) scale([1, 1, s]) hull() {     // chamfered mouths
                translate([0, 0, bail_w / 2]) linear_extrude(1) offset(delta = c) teardrop2d(r);
                translate([0, 0, bail_w / 2 - c]) linear_extrude(c) teardrop2d(r);
            }
        }
    }
}

module usb_slot() {
    translate([0, board_y, front + stack_h - usb_z])
        rotate(usb_angle)
            translate([pcb_d / 2 - 3, -usb_w / 2, -usb_h / 2])
                cube([heart_s, usb_w, usb_h]);
}

module body() {
    difference() {
        union() {
            difference() {
                linear_extrude(body_h) heart2d(heart_s);
                // hollow, open at the back (z = body_h)
                translate([0, 0, front]) linear_extrude(body_h) cavity2d();
            }
            // the bail's root is trimmed back to the wall: it merges with the
            // wall and leaves the cavity free
            difference() {
                bail();
                translate([0, 0, front]) linear_extrude(body_h) cavity2d();
            }
            // locating ring around the board; sunk 0.01 into the front so it
            // fuses with it (a merely touching face leaves a separate shell)
            translate([0, board_y, front - 0.01])
                difference() {
                    cylinder(d = pcb_d + 2 * clearance + 2 * ring_t, h = ring_h + 0.01);
                    translate([0, 0, -1]) cylinder(d = pcb_d + 2 * clearance, h = ring_h + 2);
                }
        }
        // round window for the display
        translate([0, board_y, -1]) cylinder(d = view_d, h = front + 2);
        usb_slot();
    }
}

module lid() {
    union() {
        linear_extrude(lid_t) heart2d(heart_s);
        translate([0, 0, lid_t]) linear_extrude(lid_lip)
            difference() {
                offset(delta = -fit) cavity2d();
                offset(delta = -fit - 1.2) cavity2d();
            }
    }
}

if (part == "body") body();
else if (part == "lid") lid();
else if (part == "show") {
    translate([0, 0, body_h]) mirror([0, 0, 1]) body();
    translate([-heart_s * 1.9, 0, 0]) lid();   // beyond the body, seen from the camera
} else {
    body();
    translate([heart_s * 1.9, 0, 0]) lid();
}
