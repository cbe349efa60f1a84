"""Word lists for the builtin review generator (English and Chinese), written for lmforge.

Sentiment words are listed most-common first: the generator draws them with Zipfian weights, so
the long tail is rare in a few hundred labeled reviews but common enough in the unlabeled corpus
for a pretrained model to learn what it means. That is the point of the builtin data.
"""

from __future__ import annotations

EN_PRODUCTS: dict[str, tuple[str, ...]] = {
    "phone": ("screen", "battery", "camera", "speaker", "charger", "case"),
    "laptop": ("keyboard", "display", "battery", "trackpad", "fan", "hinge"),
    "headphones": ("sound", "battery", "ear cushions", "microphone", "bass", "cable"),
    "coffee maker": ("brew", "carafe", "timer", "filter", "heating plate", "lid"),
    "vacuum cleaner": ("suction", "brush", "filter", "cord", "dust bin", "wheels"),
    "smartwatch": ("strap", "display", "heart rate sensor", "battery", "app", "buckle"),
    "backpack": ("zipper", "straps", "fabric", "pockets", "stitching", "buckle"),
    "blender": ("motor", "jar", "blades", "lid", "buttons", "base"),
    "television": ("picture", "remote", "sound", "stand", "menu", "colors"),
    "electric kettle": ("handle", "lid", "switch", "spout", "base", "cord"),
}

EN_SERVICES: dict[str, tuple[str, ...]] = {
    "hotel": ("room", "staff", "breakfast", "bed", "wifi", "location"),
    "restaurant": ("food", "service", "waiter", "dessert", "menu", "atmosphere"),
    "delivery service": ("courier", "packaging", "tracking", "driver", "app", "timing"),
    "bank": ("app", "customer service", "branch", "card", "transfers", "website"),
    "airline": ("seat", "crew", "boarding", "legroom", "meal", "check-in"),
    "gym": ("equipment", "trainers", "showers", "classes", "lockers", "music"),
    "internet provider": ("connection", "router", "support", "installation", "speed", "billing"),
    "car rental": ("car", "agent", "pickup", "insurance", "return process", "counter"),
}

EN_POSITIVE = (
    "good", "great", "excellent", "fantastic", "amazing", "wonderful", "solid", "reliable",
    "impressive", "outstanding", "brilliant", "lovely", "superb", "terrific", "flawless",
    "stellar", "fabulous", "marvelous", "exceptional", "splendid", "delightful", "sturdy",
    "superior", "phenomenal", "sublime", "exquisite", "dependable", "admirable", "immaculate",
    "magnificent", "commendable", "peerless", "stupendous", "first-rate", "remarkable",
    "glorious", "awesome", "perfect", "neat", "nice", "pleasant", "charming", "elegant",
    "gorgeous", "sleek", "robust", "durable", "efficient", "speedy", "swift", "snappy",
    "responsive", "intuitive", "seamless", "smooth", "crisp", "vivid", "spacious", "cozy",
    "comfortable", "clean", "tidy", "spotless", "quiet", "powerful", "sharp", "bright",
    "accurate", "precise", "generous", "friendly", "helpful", "courteous", "attentive",
    "prompt", "affordable", "worthwhile", "handy", "practical", "versatile", "polished",
    "refined", "premium", "luxurious", "heavenly", "dazzling", "breathtaking", "incredible",
    "unbeatable", "top-notch", "world-class", "dreamy", "nifty", "classy", "ideal",
)
EN_NEGATIVE = (
    "bad", "poor", "terrible", "awful", "horrible", "disappointing", "flimsy", "faulty",
    "useless", "mediocre", "dreadful", "abysmal", "shoddy", "lousy", "defective", "atrocious",
    "pathetic", "subpar", "dismal", "appalling", "woeful", "inferior", "deplorable", "rotten",
    "wretched", "abominable", "dire", "ghastly", "lamentable", "substandard", "shabby",
    "deficient", "crummy", "inadequate", "unacceptable", "miserable", "broken", "cheap",
    "fragile", "flaky", "buggy", "glitchy", "clunky", "sluggish", "slow", "laggy", "noisy",
    "loud", "dirty", "filthy", "grimy", "smelly", "cramped", "stuffy", "uncomfortable",
    "unreliable", "unstable", "wobbly", "leaky", "overpriced", "rude", "unhelpful",
    "careless", "sloppy", "messy", "dull", "dim", "blurry", "inaccurate", "erratic",
    "frustrating", "annoying", "irritating", "infuriating", "maddening", "horrendous",
    "hideous", "ugly", "tacky", "worthless", "pointless", "disastrous", "catastrophic",
    "horrid", "nasty", "vile", "dodgy", "janky", "rickety", "feeble", "weak",
)
EN_EMOTIONS = {
    "positive": ("happy", "pleased", "satisfied", "delighted", "impressed", "glad", "thrilled",
                 "grateful", "content", "ecstatic", "elated", "overjoyed", "chuffed", "jubilant",
                 "euphoric", "enchanted", "gratified", "exhilarated"),
    "negative": ("unhappy", "disappointed", "annoyed", "frustrated", "upset", "angry",
                 "dissatisfied", "furious", "irritated", "livid", "exasperated", "dismayed",
                 "aggrieved", "disgruntled", "incensed", "indignant", "displeased", "vexed"),
}
EN_VERBS = {
    "positive": ("love", "like", "enjoy", "adore", "appreciate", "treasure", "cherish", "relish",
                 "savor", "fancy", "admire", "applaud"),
    "negative": ("hate", "dislike", "regret", "despise", "loathe", "detest", "resent", "abhor",
                 "deplore", "scorn", "lament", "rue"),
}
EN_OUTCOMES = {
    "positive": ("It works perfectly.", "It still works like new.", "Setup took two minutes.",
                 "It arrived early and well packed.", "They went out of their way to help.",
                 "Everything was spotless.", "It has not failed once.",
                 "The refund for a small issue came the same day.",
                 "It saves me time every morning.", "It feels built to last."),
    "negative": ("It stopped working after a week.", "It broke on the second day.",
                 "Support never answered my emails.", "It arrived damaged.",
                 "Everything smelled of smoke.", "We waited an hour for nothing.",
                 "It fails every other day.", "The refund took two months.",
                 "It wastes my time every morning.", "It feels like it will fall apart."),
}
EN_INTENSIFIERS = ("", "", "", "really ", "very ", "quite ", "pretty ", "truly ", "incredibly ")
EN_PRODUCT_OPENERS = (
    "I bought this {item} last {when}.",
    "My {who} recommended this {item}.",
    "I have had this {item} for {span}.",
    "Ordered the {item} {when2}.",
    "This is my second {item}.",
    "Got the {item} as a gift from my {who}.",
)
EN_SERVICE_OPENERS = (
    "We used this {item} for {span}.",
    "My {who} recommended this {item}.",
    "Tried this {item} during a trip {when2}.",
    "This was my second time with this {item}.",
    "Booked this {item} last {when}.",
)
EN_WHEN = ("week", "month", "year", "weekend", "spring", "summer")
EN_WHEN2 = ("yesterday", "on Monday", "two weeks ago", "last Friday", "before the holidays")
EN_SPAN = ("two weeks", "a month", "three months", "half a year", "a few days", "a year")
EN_WHO = ("sister", "brother", "colleague", "neighbor", "friend", "mother", "father")
EN_FACTS = (
    "It arrived on {day}.",
    "I use it every day for work.",
    "The box was a plain brown one.",
    "It came in {color}.",
    "The manual is twenty pages long.",
    "We went there on a {day}.",
    "I paid by card.",
    "The order number was on the receipt.",
    "It replaced an older model.",
    "My {who} uses it too.",
)
EN_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
EN_COLORS = ("black", "white", "silver", "blue", "red", "grey")
EN_CLOSERS = {
    "positive": (
        "I would recommend it to {whom}.",
        "I will buy from them again.",
        "Worth every penny.",
        "I am very happy with it.",
        "Five stars from me.",
        "It exceeded my expectations.",
    ),
    "negative": (
        "I would not recommend it to {whom}.",
        "I will never buy from them again.",
        "Not worth the money.",
        "I am not happy with it.",
        "One star from me.",
        "It fell short of my expectations.",
    ),
    "neutral": (
        "Overall it is okay.",
        "It does the job, nothing more.",
        "Three stars from me.",
        "It is average for the price.",
        "I have mixed feelings about it.",
        "It met my expectations, no more, no less.",
    ),
}
EN_WHOM = ("anyone", "my friends", "everyone", "my family", "colleagues")

ZH_PRODUCTS: dict[str, tuple[str, ...]] = {
    "手机": ("屏幕", "电池", "相机", "扬声器", "充电器", "外壳"),
    "笔记本电脑": ("键盘", "显示屏", "电池", "触控板", "风扇", "转轴"),
    "耳机": ("音质", "续航", "耳罩", "麦克风", "低音", "线材"),
    "咖啡机": ("萃取", "水箱", "定时器", "滤网", "加热板", "盖子"),
    "吸尘器": ("吸力", "刷头", "滤芯", "电线", "尘盒", "轮子"),
    "智能手表": ("表带", "屏幕", "心率传感器", "续航", "应用", "表扣"),
    "双肩包": ("拉链", "肩带", "面料", "口袋", "走线", "卡扣"),
    "电视": ("画质", "遥控器", "音效", "底座", "菜单", "色彩"),
}
ZH_SERVICES: dict[str, tuple[str, ...]] = {
    "酒店": ("房间", "前台", "早餐", "床铺", "网络", "位置"),
    "餐厅": ("菜品", "服务", "服务员", "甜点", "菜单", "环境"),
    "快递": ("快递员", "包装", "物流信息", "司机", "应用", "时效"),
    "银行": ("手机银行", "客服", "网点", "银行卡", "转账", "官网"),
    "航空公司": ("座位", "机组", "登机", "腿部空间", "餐食", "值机"),
    "健身房": ("器械", "教练", "淋浴间", "课程", "储物柜", "音乐"),
}
ZH_POSITIVE = (
    "好", "出色", "优秀", "完美", "给力", "靠谱", "惊艳", "流畅", "清晰", "舒适", "精致",
    "耐用", "一流", "超值", "贴心", "稳定", "顺滑", "扎实", "称心", "出众", "上乘", "精良",
    "优良", "卓越", "周到", "地道", "精湛", "讲究", "拔尖", "尽善尽美", "漂亮", "干净", "安静",
    "灵敏", "快捷", "方便", "实用", "结实", "大气", "高端", "细腻", "柔软", "明亮", "宽敞",
    "整洁", "热情", "专业", "高效", "省心", "好用", "顺手", "满分", "出彩", "超赞", "良心",
    "划算", "精美", "耐看", "清爽", "利索",
)
ZH_NEGATIVE = (
    "差", "糟糕", "失望", "垃圾", "卡顿", "劣质", "难用", "粗糙", "敷衍", "廉价", "刺耳",
    "脏", "慢", "吵", "差劲", "离谱", "掉链子", "拉胯", "粗劣", "蹩脚", "低劣", "糟心",
    "窝心", "次品", "拙劣", "寒碜", "鸡肋", "坑爹", "难看", "脆弱", "松垮", "模糊", "暗淡",
    "拥挤", "闷热", "潮湿", "发霉", "冷漠", "傲慢", "业余", "低效", "费劲", "繁琐", "笨重",
    "老旧", "破旧", "残次", "山寨", "坑人", "糊弄", "马虎", "草率", "粗暴", "昂贵", "虚标",
    "缩水", "鸡贼", "闹心", "别扭", "磕碜",
)
ZH_EMOTIONS = {
    "positive": ("开心", "满意", "高兴", "惊喜", "欣慰", "放心", "愉快", "感动", "舒心", "痛快",
                 "欢喜", "称心如意"),
    "negative": ("生气", "失望", "郁闷", "恼火", "烦躁", "不爽", "窝火", "气愤", "懊恼", "憋屈",
                 "心塞", "火大"),
}
ZH_VERBS = {
    "positive": ("喜欢", "爱", "欣赏", "佩服", "珍惜", "钟爱", "迷恋", "偏爱"),
    "negative": ("讨厌", "后悔", "嫌弃", "厌恶", "反感", "痛恨", "鄙视", "憎恶"),
}
ZH_OUTCOMES = {
    "positive": ("用起来一点问题都没有。", "到现在还跟新的一样。", "两分钟就装好了。", "提前送到了，包装也很好。",
                 "工作人员很热心地帮忙。", "到处都干干净净。", "一次都没出过故障。", "每天早上都帮我省时间。"),
    "negative": ("用了一周就坏了。", "第二天就出故障了。", "客服一直不回消息。", "到货的时候就是坏的。",
                 "到处都是烟味。", "白白等了一个小时。", "隔一天就出问题。", "退款拖了两个月。"),
}
ZH_INTENSIFIERS = ("", "", "很", "非常", "特别", "挺", "相当", "真的")
ZH_PRODUCT_OPENERS = (
    "上{when}买的{item}。",
    "这个{item}用了{span}了。",
    "朋友推荐的{item}。",
    "{when2}下单的{item}。",
)
ZH_SERVICE_OPENERS = (
    "朋友推荐的这家{item}。",
    "这是第二次选这家{item}。",
    "出差时试了这家{item}。",
    "{when2}体验了这家{item}。",
)
ZH_WHEN = ("周", "个月", "周末")
ZH_WHEN2 = ("昨天", "周一", "两周前", "上周五", "节前")
ZH_SPAN = ("两周", "一个月", "三个月", "半年", "几天", "一年")
ZH_FACTS = (
    "{day}到的货。",
    "每天上班都用。",
    "包装是普通的纸箱。",
    "颜色是{color}的。",
    "说明书有二十页。",
    "我们是{day}去的。",
    "用信用卡付的款。",
    "发票在盒子里。",
)
ZH_DAYS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
ZH_COLORS = ("黑色", "白色", "银色", "蓝色", "红色", "灰色")
ZH_CLOSERS = {
    "positive": ("推荐给大家。", "还会再买。", "物有所值。", "对这次购物很满意。", "五星好评。"),
    "negative": ("不推荐给大家。", "不会再买了。", "物非所值。", "对这次购物不满意。", "一星差评。"),
    "neutral": ("总体还行吧。", "中规中矩。", "三星吧。", "一分钱一分货。", "说不上好也说不上坏。"),
}

LABELS = ("negative", "neutral", "positive")
# Written the way real annotation exports spell them; the label map folds them back.
LABEL_VARIANTS = {
    "positive": ("Positive", "POSITIVE", " positive ", "pos", "正面"),
    "negative": ("Negative", "NEGATIVE", "negative ", "neg", "负面"),
    "neutral": ("Neutral", "NEUTRAL", " neutral", "neu", "中性"),
}
LABEL_TYPOS = ("postive", "positve", "negitive", "negatve", "nuetral", "neutrl")
LABEL_UNKNOWN = ("mixed", "N/A", "5", "spam", "??")
