"""A 64x64 blue-noise threshold texture for ordered dithering.

Blue noise has no low-frequency content, so the dither pattern reads as a fine
even grain instead of the crosshatch of a Bayer matrix or the clumps of white
noise. The texture is made once by Ulichney's void-and-cluster method
(generate()) and kept here as data, because making it in pure Python takes
seconds and the converter runs in short-lived worker processes:

    .venv/bin/python -m pendant.photo.bluenoise   # prints DATA
"""

from __future__ import annotations

import base64
import functools
import math
import random
import zlib

from PIL import Image

SIDE = 64
_SIGMA = 1.9  # Ulichney's filter width for void-and-cluster
_RADIUS = 7


def generate(side: int = SIDE, seed: int = 1) -> list[int]:
    """Void-and-cluster ranks 0..side*side-1, row-major, on a torus (tiles seamlessly)."""
    n = side * side
    kernel = [
        (dx, dy, math.exp(-(dx * dx + dy * dy) / (2 * _SIGMA * _SIGMA)))
        for dy in range(-_RADIUS, _RADIUS + 1)
        for dx in range(-_RADIUS, _RADIUS + 1)
    ]

    def splat(energy: list[float], index: int, sign: float) -> None:
        x0, y0 = index % side, index // side
        for dx, dy, w in kernel:
            energy[((y0 + dy) % side) * side + (x0 + dx) % side] += sign * w

    def energy_of(bits: list[bool], value: bool) -> list[float]:
        energy = [0.0] * n
        for i in range(n):
            if bits[i] == value:
                splat(energy, i, 1.0)
        return energy

    def extreme(energy, bits, value, pick):
        return pick((i for i in range(n) if bits[i] == value), key=energy.__getitem__)

    rng = random.Random(seed)
    bits = [False] * n
    for i in rng.sample(range(n), n // 10):
        bits[i] = True
    # Phase 0: move points from the tightest cluster to the largest void until stable.
    energy = energy_of(bits, True)
    while True:
        cluster = extreme(energy, bits, True, max)
        bits[cluster] = False
        splat(energy, cluster, -1.0)
        void = extreme(energy, bits, False, min)
        bits[void] = True
        splat(energy, void, 1.0)
        if void == cluster:
            break
    initial = bits[:]
    ones = sum(initial)
    rank = [0] * n
    # Phase 1: remove the tightest clusters, ranking downwards.
    energy = energy_of(bits, True)
    for r in range(ones - 1, -1, -1):
        cluster = extreme(energy, bits, True, max)
        bits[cluster] = False
        splat(energy, cluster, -1.0)
        rank[cluster] = r
    # Phase 2: fill the largest voids up to half.
    bits = initial
    energy = energy_of(bits, True)
    for r in range(ones, n // 2):
        void = extreme(energy, bits, False, min)
        bits[void] = True
        splat(energy, void, 1.0)
        rank[void] = r
    # Phase 3: now zeros are the minority; turn their tightest clusters into ones.
    energy = energy_of(bits, False)
    for r in range(n // 2, n):
        cluster = extreme(energy, bits, False, max)
        bits[cluster] = True
        splat(energy, cluster, -1.0)
        rank[cluster] = r
    return rank


def encode(rank: list[int]) -> str:
    """Ranks scaled to 0..255, zlib-compressed, base64 (for DATA)."""
    n = len(rank)
    raw = bytes(r * 256 // n for r in rank)
    return base64.b64encode(zlib.compress(raw, 9)).decode()


# generate() with the defaults, through encode().
DATA = (
    "eNoBABD/764tXEzBdkbcU+15uiSITOAhkEF01rCNw3Msu4Co1zGZfjrYhP0XltVDgKSPdk4AxnpcBqUlYn3ZOY7z"
    "D241kcI9GpneAqEVk8cPMtla9HXJnVLxpDEDUvhH55IJPsZc4RRJZbhROHIoBOQb8LrQaDBHkttv+LES76UA1X2e"
    "F9eBcbn1hDbO8yyqhEmRoRW8LgZizByB7WgiqRTZafd5HLv5kc0D3O2oi8NpUytAmOiw+ssWiE7Qmlu7J1OzSfhf"
    "5yalDGZUsn0/YuL5A2c53IGy5m7AO7aa04U3WbObKYtSqW4knHoSYkn2mbHaDF4ifwugLbc/GjFvRIfoxi6pBE/T"
    "RMjrI9lvCb0gc7XK7FWVRRAojEvgXQjIdu5LAOnLQgs26lcvwbTTDjV4/4eo1lQ+dOJZ7IHF3v0YZHUelb+H/491"
    "FJZH/IzMWJhCKacdcfbUqf0TeStD+qMgvzRmoXXfw7GI+kIegFojxkhtGb+Q82TCIaZmkwmtnM8+3+9nNxFaMr+p"
    "XxmgMfAM1nqKCMReM5tU0K6Rum4OjOB+0RDzXn8Zz2iV5KPvrY4GzTjmK7MTi9ED9ClPeTQOi1cKe67aouWA0ji6"
    "3E+DrmP/TeKvP4d1AWbvG+NRMGKtVD+3IZdJBqVPKQFwPdpk6aFRegXcSzeZd0O01F3A9aa2Rsgibk0HJ2nvAHcl"
    "5ToUvC+dIvEW58gmgzid1MTsmBj+ii+s2Dz1d9/EilQULrMf+ZhoqYD+VbzhEIbsSSVt0y2Z6zuzk/lCiVa0mmzH"
    "kFnSan7OuU6kRMBaEHxHBCnac8FZbey7YBqvM/u8m3dEg1u7QMcj5xZhMm+hHJbighT6YIUZz13CpB/N6hJFqB/r"
    "AkOSDGEwj9z1q3D7tIZop0sH5BKOJoSa1UZnDdL0wt4WMdgMcZ7OrI76PcsAYzqiUgW+8S584A1wkTRh2POFcrXd"
    "Van8exlqBi2UIDzO8DbJgZ3RUjXKCVeAIZNPJ2wCpJD3T4otRAXZJLtXfLLWw4vkdJ+NEzmwSfq8fAgrTKI39ifG"
    "POOf0VO552ChUxaTJPY/Hqf9ceSk8bjoqjqM72LNd65d7sNrf0up5Sr2TDIerkRa2E/0ZNMon1OtzGXBGXiaEm+z"
    "JIlAftcMw+R6u12xaHnARbURPmwwB3vJVrJGIjgY27Yfl/JfDIxtmQl33WYnAqq/lncGhhffPf2UDNZdh+tNCVvH"
    "7hhLijFtA91OENjtAYpiJ5DN3F+fG+MPgsDmoQp7VTPhGdI3vhfszZS4/cxrHSzoyFzvj3AhgOhIsDDPvZb6NKRx"
    "rvebQar8jTiXLVbenPfCGIVF/3LUL5j0bkmQ/D+mx4Wf/kOqYVM8EYI27odBpLIzR8AEtVg6n/QeZUF81WcAwChc"
    "0B2DKcZypMyAFjR2TFquvCmRTGW3BVkr1Wa8AnMsaFJ/xiiJpelLnVzeElVxHNtipi/hxW8CkN+qKhqOPuB9Du25"
    "SWUI8BtG6LTRqO4L5TkB7cSmPdt+xqwTit1HsugfBN70bh28dgu1xJP+0oKa+HnPEIkou3dRCvK36FeXylBrj+XX"
    "Vr2uXW4GQWYjlXiea4MTJPqNHpw36yVd+A7Lj7ibNQ3S4izyIXtIBLs8DSVOle9eSv+jy2CER22oIP44shQynn07"
    "iif0kcCF1zLF2la0z193UQ/xck3NmXujPGJ2SluxjlBmhTjXZCqiauDIQWwYrtU9EuYznNANL72FBaN5yyH7E9vJ"
    "oVIa/VwRSPcbQuU1ouC10WGEuBUzVdruKtX4fT7IqJZYreWM9FKriOa9NX+XaSOMvxX5e9pMYtPoRV62lkt1MQvg"
    "OnKxo4tnK6uUBMFoQy4GpT/pw4wcqgjBFqAlAfsXzQp0G8UyFF0BoPnJC961S3FZPLCO7BpxkSbzAmnmrGCAtZgm"
    "zOoHvnrthk72JpeJ/h/YZwv2cINClGTq2HBFgOwzuUWXe+yzcyFRLFp59aDqySdnB58/xKtU1oc/xA/20kfwWH00"
    "UJvRD23LGnyv4sJXeZVHtDDQU7d4NFevwGmfUfhh3iPQO5LYhOuqQBsvAYOn4rtWLPsTNr53pSxVjCFoAMIU3T/5"
    "I1oytttcC0lvNa7kJV2c4P4hzBCJ4yo+2RGqhQWeWPNIumUHworSYpXXRh31eIfbaJoL6x3Omzq9p+WSbq2HZKfj"
    "RZ6OOvKiGNIChPLIFwVsO6HwTJgcyI9wKMs3vW0OqRk2mtxObrz9U3Q0ls8Ms0OB301f/2/bFnowQ88dvAV1wRX9"
    "cijGZOuQvT1QqHeRSrB9Crpf/QNZt+d6Tv6KLczndPskEqU6DLEWx2FKIfBapiS2kwWCsU/zXqH8VeeUOdOCUQHX"
    "tH1ULp0dZdY27sVb2i7Scqc38B9B1AulY998UpBBtIDwKXrgi++euW+QxTH1a8lGL+MOx4kmCX8tTPUisGfplx5A"
    "D91y+4IRuCmFHPmSQhR/3YicZ7CTGMUinQLDYs5W45LBXUAEKOY5B9IVfD0a6qRmlzy52WyyyWCiDo3OMEqnie7J"
    "rUfD51iZ4QJmrFLsvitMDvhXMe9LPLP3MByeDWpJHaLUgqxS2oafY63Vh71YJNB0GUnumxPbe+8+W75297pqCVsn"
    "jghvQaZ1Ocsjl2GxzXbB2IJx5IhbbdyE7jWvy/owcPRkG3b2QlPjBJhx8QmD96pajzZCvWspquELGF8pOZbZpDX1"
    "sdNP8ou5etgKaqA7FSapBbrPEKZFuHLVjABYuhJHy5TAKxC4/ChMNdy1RC7lAc0ghOYETZV9yZ7l0IFPFuN8YyIV"
    "wSwO5BpF9o3gVeyQRGCYH/MrkwhRJT94memIsgo26KhrkHjEYKsckFTBZ6N3/qxX0bf6HDtSjwX/s3C9P8qUgN1f"
    "nGtUpjIAH32vbPvbNVN+xGTj/r6k3WUnO9igW35IzR86oA3NevudD4jfTixjnRdyL2Lar21DxZ0g8ANU/KJHtTf5"
    "1IHD6Em90i4Lx7Fw6DyuFYFcD/MZw1Jy/yPeAPJX1+yF4j1rJMo4G7jHCvI5keqGvyTzEzFhSompbTMNdesFkia2"
    "XvyaYxGeUIcaoQLRTZwzzI9IrX7mkRZptpmErxRnLFADtNdb9G9EjNx/R8OoB0t5o4zpfd4t1bbmI86JUMlyEDh2"
    "Kog+8XnhRPiPaiLddLYqbNM0CKnQTjzHMHNFk6e/7otIqn7omhOvaSHTWhPkN9RWsckMmRhdgz6lZRqvQ6LayBar"
    "2MFmI7laL77xikH4BFjvnETALIv4XgzmuP4eXHYxFZYGKM81Ve2eLW78mLdkACNBavrATZb3u9wx8uVWjrNN6lkD"
    "NJXUEoKnCmAan+K6hCBjeugQcKXaJX7RD8qi3frFULZh/HcAut6BP8sbdN2e7VN4ONEFcBFYmIMiZwv1byJ/pP2u"
    "c+U5ylTar3tOkhLL9lGw0x29VY42Tm1AhiJmO3rhpCDCkE0XsY5QKveDM7qojCGv4ixKxHUC0r4135g8z41HDWFN"
    "m+0obsQ3Jtc/cKECN4KWQ/UEreya4QVWrNWNFkiFPedkM/AGpV6+lEoJ1RPzZHyR7ao9/6BIfagGv2oX6CvIsx18"
    "RpX7BmbsrS6M3l3xKGWhdsVhKrP1wnMOLvNszRGn1nvGa+PTOxjhblwvw0SjzBtg2SmKWxkuXvhQttl5ifUA37sR"
    "0qV/v1n+xBe2S8nhE9U/GY14NEaU7LycV7L4KZZZH0WHDKx8xfyFmOdWDTmHsxJtuM7rc9eEJpc2WKM+ZZA1W4hQ"
    "HJgKSCNpm3oHiDS3WPvZEqHQYCBA2wM1dEsIu/2dKPJPZyU+sh5yt9cm+FCc8Ag/krFJxw6r8Qm/Is6qdfEp4Tvo"
    "dKiGz+08q/dvlSSBv2pR5AmHqWZ+w43U5YQ5s3TLlucCo89NCO6PaXjfMoBVxCATnjrmdWFG4HH/Thm1xmywzS9g"
    "2g4rV8IfTummRAHwKLZ6xk3yJuldHKVoFd9eEjO3WI3eNn+gQccBvkXRqWX8fNtpjR7Pk4ISMJ/ZCJdGFI3yuECU"
    "duOfZArbyFyRqz2Y+zAVk7gMm0PKLlLCjEjWgfRsEcFk/i1arZQXJOGJNLXzAVG8+Sq0VsSGQWJ8+1YGfh5Q+rEX"
    "1I07exQxznUc2Fls0d86VLBx9H7qA6L7IKpBKetVqyDQEOZi93OaCU0lXMwwo0AHnO5q4yXrNKLWZ8TgpAFrRi+8"
    "/5yw8mbnS4kQp0V1hv8r2RORrTx2ab0JeMqTFoXimXlKhjq7WO7FcJasgupse9hKD6ySucocriqaN17Kiep/WSVt"
    "UIYpB8Cy6yW+AaAdZcBAWiTbyS2YXNyfSrpxQzS376cr2ROlPuUYRg3cG1rIOCB0WQBPcIj2R3fuI7UPocfgA7k9"
    "2qB7OWOU9l/K53uXBrn5hkwX6Tn3DzLX9QTFaB0HymqPf9Cziv1gupWv9Yu+/NOC8T7cDb4Yk0/WPWIbSZT2GMZX"
    "/Q3NgS5QsjZI1O1sngxj07RRg2uvXyeji1ndllL8SC4EVDPTdSRNMgRjpEKZMBS0Y1Wn44My+XKt7850qF+OcB+Z"
    "4UIV24sKqRuDTzPlqZJzAcaNHe1+TNT5PYCwIbnsZh2mwjzxouOD1SoOad/Dn48n0QRpwp0KjyqCNg/pQ9UxUa1r"
    "vPCcb/hdzCe1ekEg/iul5EDLmgusFixt5BF3n9v1a4AGjswUc1Pprk15IO44c/1Cr1kf3kS3W+LCJ6O39IXGCHkh"
    "WCrBPpLhFMbvXsBI1hJYvGo4dbvOnUTDXDmSKkoY61loRbeTHsH4i1vNCoG5lSzqf8ds9wdPimh9BRZh5zuoStaH"
    "5BGuc1aLCzeBlWV4Lfsa2epfhQL2i9YJybjimay+Ld/9OH3OAzRGq+JOHF3UEUw1phea1rI57cxHnSKO/skOtmUx"
    "oPxG1J7drwfzoLWKUZUmSKZWMySqT4NecdFADochqAxfoGuXvBFnosjyb56K8WDPdiL6GZNVdLrXL1uXc0HvfwJg"
    "I7trG1TmIjzOA32x8xHev+lndP8akQAy+XjIl27WQ/Im59d29zGJCDqy2QO9LYZJp17gK6v3aYED5hmjUsXasjuE"
    "9C/Kcb1LYeAyxUBoeJAYtJvdPrDtVKNjSupWvhewUIIZQJIj3kq/eB9TlEDqbccBe9MNPRpMv7A20CaRHXjrCJRF"
    "pn6PDfCbcR6h1AY60EoLL8TYJYC6G9IFMHzijcguXrXFVadk6Sv/aavcFbQzm0LAiKLqkt1f8ohq+Uubv1fRYxD8"
    "KtWrFVr/iFSt+X9c8IllRp0P4jqriPqcOwdu/prpAHzQF4abRMp+CvRXjOX/YyVTym8eQ3kJqzIP4W4orN87tlFq"
    "hELMuC3kHJknuaYfd/vObI7xJ2i4HmCm0kIQrGo3+rkNW+MaN59hzyBOEHK08QisLKDHV+m3X8s4FfaGnR7rwTbm"
    "lQpMc8JjQszkUwfi4vhq"
)


@functools.lru_cache(maxsize=1)
def thresholds() -> bytes:
    """SIDE*SIDE bytes, 0..255, each value SIDE*SIDE/256 times, row-major."""
    return zlib.decompress(base64.b64decode(DATA))


@functools.lru_cache(maxsize=1)
def texture() -> Image.Image:
    """The thresholds as an "I" image of t*4096 (t in 0..1), one 64x64 tile.

    Each 0..255 threshold sits in the middle of its 1/256 slot, so the mean
    threshold is exactly 1/2 and flat areas keep their mean level.
    """
    tile = Image.frombytes("L", (SIDE, SIDE), thresholds()).convert("I")
    return tile.point(lambda v: v * 16 + 8)


@functools.lru_cache(maxsize=2)
def tiled(size: tuple[int, int]) -> Image.Image:
    out = Image.new("I", size)
    tex = texture()
    for y in range(0, size[1], SIDE):
        for x in range(0, size[0], SIDE):
            out.paste(tex, (x, y))
    return out


if __name__ == "__main__":
    print(encode(generate()))
