site-name = كرطابل
site-tagline = دروس قصيرة بالفيديو لكل متعلم، على أي شاشة
skip-to-content = انتقل إلى المحتوى
nav-main = القائمة الرئيسية
nav-home = الرئيسية
nav-browse = تصفح
nav-language = اللغة
home-title = تعلّم حسب وتيرتك
home-programmes = البرامج
home-newest = كبسولات جديدة
home-levels = تصفح حسب المستوى
home-empty = لم تُنشر أي كبسولة بعد.
capsule-count = { $count ->
    [zero] لا كبسولات
    [one] كبسولة واحدة
    [two] كبسولتان
    [few] { $count } كبسولات
    [many] { $count } كبسولة
   *[other] { $count } كبسولة
}
browse-title = تصفح الكبسولات
browse-filters = اختر ما يُعرض
filter-level = المستوى
filter-subject = المادة
filter-lang = لغة الدرس
filter-any = الكل
filter-apply = اعرض الكبسولات
browse-none = لا توجد كبسولة تطابق هذه الاختيارات.
browse-next = الصفحة التالية
browse-results = النتائج
programme-lessons = دروس هذا البرنامج
capsule-about = حول هذه الكبسولة
capsule-level = المستوى
capsule-subject = المادة
capsule-duration = المدة
capsule-quality = الجودة
capsule-quality-hint = الجودة الأدنى تستهلك بيانات أقل.
quality-auto = تلقائي
quality-audio = الصوت فقط
capsule-transcript = النص المكتوب
capsule-attachments = أوراق العمل والوثائق
capsule-download = نزّل للمشاهدة دون اتصال
capsule-programmes = ضمن البرامج
capsule-position = الدرس { $position }
capsule-no-player = لا يستطيع متصفحك تشغيل هذا الدرس هنا. نزّله من الأسفل.
capsule-resumed = استئناف من حيث توقفت:
player-label = مشغل الدرس
not-found-title = الصفحة غير موجودة
not-found-body = هذه الصفحة غير موجودة، أو نُقلت.
back-home = العودة إلى الصفحة الرئيسية
error-title = حدث خطأ
error-body = تعذّر عرض الصفحة. حاول مرة أخرى بعد قليل.
footer-text = كرطابل، منصة تعلّم مفتوحة المصدر
size-kb = { $size } ك.ب
size-mb = { $size } م.ب
lang-ar = العربية
lang-fr = الفرنسية
lang-en = الإنجليزية
lang-tr = التركية
lang-zgh = الأمازيغية
nav-account = حسابي
back = رجوع
search-title = البحث
search-label = ابحث عن درس
search-button = ابحث
search-facets = تضييق النتائج
search-count = { $count ->
    [zero] لا نتائج
    [one] نتيجة واحدة
    [two] نتيجتان
    [few] { $count } نتائج
    [many] { $count } نتيجة
   *[other] { $count } نتيجة
}
search-bad-query = لا يمكن إجراء هذا البحث: اكتب كلمات (1000 حرف على الأكثر).
search-bad-filter = أحد المرشحات غير معروف.
login-title = تسجيل الدخول
login-login = اسم المستخدم
login-password = كلمة المرور
login-submit = دخول
login-pictures = الدخول بالصور
signin-wrong = اسم المستخدم أو كلمة المرور غير صحيحة.
signin-locked-account = محاولات فاشلة كثيرة لهذا الحساب. حاول مرة أخرى بعد { $minutes } دقيقة.
signin-locked-address = محاولات فاشلة كثيرة من هذا الاتصال. حاول مرة أخرى بعد { $minutes } دقيقة.
account-title = حسابي
account-classes = أقسامي
tokens-title = رموز الواجهة البرمجية
tokens-help = يسمح الرمز لبرنامج أو لنظام آخر بالتصرف باسمك. احتفظ به سرا، وألغه عندما لا تحتاج إليه.
tokens-new = رمزك الجديد (انسخه الآن، فلن يظهر مرة أخرى):
tokens-none = ليس لديك أي رمز.
tokens-name = اسم الرمز
tokens-id = المعرف
tokens-revoke = إلغاء
tokens-create = إنشاء رمز
signout-title = الخروج
signout = تسجيل الخروج
signout-everywhere = الخروج من كل الأجهزة
role-learner = متعلم
role-teacher = أستاذ
role-editor = محرر
role-archivist = أمين أرشيف
role-broadcaster = مذيع
role-admin = مدير
teach-title = أقسامي
teach-none = لا تدرّس أي قسم بعد.
admin-title = الإدارة
admin-users = المستخدمون
admin-name = الاسم
admin-role = الدور
admin-actions = الإجراءات
admin-save-role = تغيير الدور
admin-reset-password = كلمة مرور جديدة
admin-disable = تعطيل
admin-enable = تفعيل
admin-disabled = معطل
admin-enabled = مفعل
admin-add-user = إضافة مستخدم
admin-password-optional = كلمة المرور (اتركها فارغة لتوليد واحدة)
admin-groups = المدارس والأقسام
admin-add-school = إضافة مدرسة
admin-add-class = إضافة قسم
admin-id = المعرف
admin-school = المدرسة
admin-enrol = تسجيل المتعلمين
admin-enrol-help = الصق ملف CSV بالأعمدة name و login و class واختياريا password:
admin-skip-bad = سجّل الأسطر الصحيحة وتجاوز الخاطئة
admin-user-added = أضيف المستخدم
admin-generated-password = كلمة المرور المولدة
admin-role-changed = تغير الدور
admin-sessions-ended = { $count ->
    [zero] لم تُغلق أي جلسة
    [one] أُغلقت جلسة واحدة
    [two] أُغلقت جلستان
    [few] أُغلقت { $count } جلسات
    [many] أُغلقت { $count } جلسة
   *[other] أُغلقت { $count } جلسة
}
admin-group-added = أضيف
admin-enrolled = { $count ->
    [zero] لم يسجل أي متعلم
    [one] سُجّل متعلم واحد
    [two] سُجّل متعلمان
    [few] سُجّل { $count } متعلمين
    [many] سُجّل { $count } متعلما
   *[other] سُجّل { $count } متعلم
}
class-pictures = الدخول بالصور
class-pictures-on = يمكن لمتعلمي هذا القسم الدخول بالصور.
class-pictures-off = الدخول بالصور متوقف في هذا القسم.
class-pictures-enable = تشغيل الدخول بالصور
class-pictures-disable = إيقاف الدخول بالصور
class-pictures-new-learners = إعطاء صور للمتعلمين الجدد
class-pictures-renew = صور جديدة للجميع
class-cards-help = اطبع هذه البطاقات وأعط كل متعلم بطاقته: صورته، ثم الصور الثلاث التي يختارها بالترتيب.
class-members = الأعضاء
pictures-title = الدخول بالصور
pictures-pick-class = اختر قسمك
pictures-pick-yourself = ابحث عن صورتك
pictures-pick-password = اختر صورك الثلاث بالترتيب
pictures-step = الصورة { $count }
pictures-go = ادخل
pictures-none = لا يوجد قسم يستعمل الدخول بالصور.
pictures-incomplete = اختر صورة في كل صف.
pictures-wrong = هذه ليست صورك. حاول مرة أخرى.
picture-sun = شمس
picture-moon = قمر
picture-star = نجمة
picture-tree = شجرة
picture-flower = زهرة
picture-fish = سمكة
picture-house = بيت
picture-heart = قلب
picture-apple = تفاحة
picture-ball = كرة
picture-cloud = سحابة
picture-boat = قارب
forbidden-title = غير مسموح
forbidden-body = حسابك لا يسمح لك بفتح هذه الصفحة.
csrf-title = انتهت صلاحية الاستمارة
csrf-body = انتهت صلاحية هذه الاستمارة أو جاءت من موقع آخر. ارجع، وأعد تحميل الصفحة، وحاول مرة أخرى.

# My learning
learning-title = مساري
nav-learning = مساري
learning-continue = متابعة المشاهدة
learning-none = لا شيء بعد: شاهد كبسولة وستظهر هنا.
learning-stopped-at = توقفت عند
learning-reached = الجزء المُشاهَد
learning-done = المكتملة
learning-history = نشاطي الأخير
learning-when = متى (UTC)
learning-what = ماذا
learning-capsule = الكبسولة
learning-started = بدأت
learning-watched = شوهدت
learning-finished = اكتملت
learning-kept = ما تحتفظ به المنصة عنك
learning-kept-text = حسابك (اسم الدخول، الاسم، الدور، الأقسام)، وجلساتك المفتوحة، وسجل لكل نشاط تعلّم: بدء الكبسولة، الموضع، إكمالها، المدة، الجودة المختارة. يرى أساتذتك هذه الأنشطة لأقسامهم؛ ولا يرى مسؤولو المدينة إلا المجاميع. يمكن للمدير محو سجلاتك بطلب منك.
learning-download = تنزيل كل سجلاتي (JSON)

# Teacher dashboard
dash-title = التقدّم
dash-programme = البرنامج
dash-days = غائب منذ (أيام)
dash-show = عرض
dash-learners = المتعلمون:
dash-absent = الغائبون:
dash-no-learners = لا يوجد متعلم مسجّل في هذا القسم.
dash-matrix = تقدّم كل متعلم في كبسولات البرنامج
dash-learner = المتعلم
dash-minutes = الدقائق
dash-last = آخر نشاط
dash-away = غائب
dash-dropoff = أين يتوقف المتعلمون (من لم يُكمل، حسب ربع الكبسولة)
dash-started = بدأت
dash-completed = اكتملت
dash-csv = تنزيل بصيغة CSV
dash-done = اكتملت
dash-going = قيد التقدّم ({ $percent } ٪)
dash-none = لم تبدأ
class-progress = عرض تقدّم القسم

# City indicators
ind-title = مؤشرات المدينة
ind-intro = مجاميع فقط: لا تظهر هنا أي بيانات فردية.
ind-from = من
ind-to = إلى
ind-count = العدد
ind-active-day = المتعلمون النشطون يوميًا
ind-day = اليوم
ind-learners = المتعلمون
ind-active-week = المتعلمون النشطون أسبوعيًا
ind-week = الأسبوع
ind-by-level = الكبسولات المبدوءة حسب المستوى
ind-by-subject = الكبسولات المبدوءة حسب المادة
ind-by-programme = الكبسولات المبدوءة حسب البرنامج
ind-level = المستوى
ind-subject = المادة
ind-programme = البرنامج
ind-started = مبدوءة
ind-completed = مكتملة
ind-reach-school = المتعلمون النشطون حسب المؤسسة
ind-school = المؤسسة
ind-district = الإقليم أو المنطقة
ind-active = نشطون
ind-enrolled = مسجلون
ind-reach-district = المتعلمون النشطون حسب الإقليم أو المنطقة
ind-no-district = (بدون منطقة)
ind-channel = عبر الإنترنت أو دون اتصال (المحفظة الرقمية)
ind-device = الأجهزة
ind-online = عبر الإنترنت
ind-offline = دون اتصال
ind-phone = هاتف
ind-tablet = لوحي
ind-computer = حاسوب
ind-tv = تلفاز
ind-unknown = غير محدد
ind-audio = البيانات الموفَّرة بالصوت فقط
ind-audio-hours = ساعات الاستماع بالصوت فقط
ind-audio-mb = الميغابايتات الموفَّرة
ind-nothing = لا نشاط في هذه الفترة.
nav-indicators = المؤشرات
ind-table = عرض الأرقام

# Assignments
assign-title = الواجبات
assign-none = لا واجب لهذا القسم.
assign-what = للمشاهدة
assign-due = قبل
assign-done = أكمله
assign-remove = حذف
assign-button = إسناد هذا البرنامج إلى القسم
assign-refused = تعذّر إسناد هذا الواجب.
assign-yours = واجباتي
assign-progress = { $done } من { $total } مكتملة
assign-late = متأخر

# School dashboard
school-days = نشطون خلال (أيام)
school-active = النشطون:
school-classes = الأقسام
school-class = القسم
school-rate = كبسولات البرنامج المكتملة (٪)
school-see = عرض المؤسسة كلها
boxes-title = الأجهزة غير المتصلة
boxes-help = يقدّم كل جهاز محفظة رقمية في مدرسة بلا شبكة؛ وتعود آثار التعلم إلى هنا عبر الشبكة أو بمفتاح USB.
boxes-none = لا يوجد أي جهاز: حضّروا محفظة لمدرسة بالأمر «cartable satchel pack --school».
boxes-box = الجهاز
boxes-schools = المدارس
boxes-version = إصدار المحفظة
boxes-last-sync = آخر مزامنة
boxes-never = لم تتم بعد
boxes-received = الآثار المستلمة حتى الرقم
boxes-pending = آثار في الانتظار
boxes-log = سجل المزامنات
boxes-when = متى
boxes-kind = النوع
boxes-outcome = النتيجة
boxes-ok = تمت
boxes-failed = مرفوضة
boxes-accepted = جديدة
boxes-duplicates = مستلمة من قبل
boxes-reason = السبب
school-boxes = أجهزة المدرسة
boxes-kind-push = إرسال عبر الشبكة
boxes-kind-pull = استقبال عبر الشبكة
boxes-kind-import = استيراد من ملف
boxes-kind-export = تصدير إلى ملف

## الأرشيف
nav-archive = الأرشيف
archive-title = أرشيف المدينة
archive-search-legend = البحث في الأرشيف
archive-search-label = كلمات
archive-from = أُنجز من سنة
archive-to = إلى سنة
archive-count = { $count ->
    [zero] لا وثيقة
    [one] وثيقة واحدة
    [two] وثيقتان
    [few] { $count } وثائق
    [many] { $count } وثيقة
   *[other] { $count } وثيقة
}
archive-bad-filter = أحد عوامل التصفية غير صالح.
archive-prev = الصفحة السابقة
archive-collections = المجموعات
archive-facet-type = النوع
archive-facet-creator = المؤلف
archive-facet-subject = الموضوع
archive-facet-decade = العقد
archive-facet-collection = المجموعة
archive-facet-lang = اللغة
archive-image-of = صورة
archive-image-large = صورة أكبر
archive-document = وثيقة
archive-link = في موقع آخر
archive-rights = الحقوق
archive-identifier = الرمز
archive-identifier-help = حروف وأرقام و . _ : - / — لا يمكن تغييره لاحقًا.
archive-updated = آخر تعديل
archive-reuse = إعادة الاستعمال
archive-iiif = بيان IIIF (لعارضات الصور)
archive-oai = سجل دبلن كور (OAI-PMH)
archive-edit-link = تعديل (أمناء الأرشيف)
archive-public-page = الصفحة العامة
archive-edit-title = تعديل الوثيقة
archive-new-title = وثيقة أرشيف جديدة
archive-deleted = هذه الوثيقة محذوفة: يُبلَّغ الحاصدون بذلك. حفظها يعيدها.
archive-not-saved = لم يُحفظ شيء:
archive-saved = تم الحفظ.
archive-values-lang = لغة القيم
archive-values-help = رمز مثل ar أو fr أو en. قيمة واحدة في كل سطر؛ ابدأ السطر بـ ‎@fr‎ (أو رمز آخر) لقيمة بلغة أخرى.
archive-year = سنة الإنجاز (للتواريخ والعقود)
archive-rights-uri = بيان الحقوق
archive-rights-help = عنوان من rightsstatements.org أو creativecommons.org.
archive-visibility = من يمكنه رؤيتها
archive-visibility-public = الجميع
archive-visibility-staff = موظفو الأرشيف فقط
archive-media = الوسائط
archive-remove = إزالة
archive-save = حفظ
archive-upload = إضافة ملف
archive-upload-file = صورة (JPEG، PNG) أو وثيقة PDF أو صوت أو فيديو
archive-upload-button = إرسال
archive-upload-none = اختر ملفًا لإرساله.
archive-upload-kind = يقبل الأرشيف صور JPEG وPNG ووثائق PDF والصوت والفيديو
archive-delete = حذف هذه الوثيقة
archive-history = السجل
archive-version = النسخة
archive-new-collection = مجموعة جديدة
archive-collection-title = العنوان
archive-collection-description = الوصف
archive-collection-create = إنشاء المجموعة
dc-title = العنوان
dc-creator = المؤلف
dc-subject = الموضوع
dc-description = الوصف
dc-publisher = الناشر
dc-contributor = المساهم
dc-date = التاريخ
dc-type = النوع
dc-format = الشكل
dc-identifier = المعرّف
dc-source = المصدر
dc-language = اللغة
dc-relation = العلاقة
dc-coverage = التغطية
dc-rights = الحقوق
dcterms-created = تاريخ الإنجاز
dcterms-extent = المقاسات
dcterms-spatial = المكان
dcterms-temporal = الفترة
dcterms-isPartOf = جزء من

## Live sessions
nav-live = مباشر
home-live = دروس مباشرة
home-live-all = كل الدروس المباشرة
live-title = الدروس المباشرة
live-now = مباشر الآن
live-none-now = لا شيء مباشر الآن.
live-coming = قريبًا
live-none-coming = لا شيء مبرمج بعد.
live-past = الأسبوع الماضي
live-calendars = التقويمات
live-calendars-help = اشترك في تقويم من تطبيق التقويم لترى الدروس المباشرة حين تُبرمج.
live-feed-public = الدروس المباشرة العامة
live-new-title = برمجة درس مباشر
live-created = تمت برمجة الدرس المباشر.
live-session-id = معرّف الحصة
live-viewer-url = صفحة المشاهدين
live-ingest-url = عنوان إرسال البث (احتفظ به سرًّا)
live-ffmpeg = الإرسال بـ ffmpeg
live-token-once = يحتوي عنوان الإرسال على رمز سري ولا يظهر إلا الآن: انسخه في OBS أو في برنامج ffmpeg.
live-not-saved = لم تتم برمجة الدرس المباشر:
live-field-title = العنوان
live-field-description = الوصف
live-field-lang = اللغة (رمز)
live-field-start = البداية (بالتوقيت العالمي)
live-field-minutes = المدة بالدقائق
live-field-audience = الجمهور
live-field-public = مفتوح للعموم
live-field-schools = المدارس (معرّفات تفصل بينها فواصل)
live-field-classes = الأقسام (معرّفات تفصل بينها فواصل)
live-field-capacity = عدد المقاعد لورشة (فارغ: دون تسجيل)
live-field-series = نشر التسجيل في السلسلة
live-field-programme = البرنامج الذي يضم التسجيل
live-create = برمجة
live-state-live = مباشر
live-state-ended = انتهى
live-state-scheduled = مبرمج
live-viewers = المشاهدون:
live-new-question = سؤال جديد من
live-answer = الجواب:
live-no-player = لا يستطيع هذا المتصفح تشغيل البث هنا: افتح رابط البث في مشغل جهازك.
live-slide-changed = غيّر المدرّس الشريحة.
live-poll-changed = استطلاع:
live-sent = أُرسل.
live-vote = صوّت
live-video = الفيديو المباشر
live-open-stream = افتح البث في مشغل آخر
live-slide = شريحة المدرّس
live-registered = أنت مسجَّل.
live-register = التسجيل
live-places = المقاعد المحجوزة:
live-hands = الأيدي المرفوعة
live-hands-up = الأيدي المرفوعة:
live-raise-hand = أرفع يدي
live-lower-hand = أخفض يدي
live-raised-list = من رفع يده
live-polls = استطلاعات
live-close-poll = إغلاق الاستطلاع
live-poll-question = سؤال الاستطلاع
live-poll-options = الخيارات، خيار في كل سطر
live-open-poll = فتح الاستطلاع
live-questions = الأسئلة
live-ask = سؤالك
live-send-question = أرسل سؤالي
live-approve = أظهره للجميع
live-hide = إخفاء
live-send-answer = أجب
live-broadcaster = للمدرّس
live-slide-file = شريحة أو صورة السبورة (JPEG أو PNG)
live-show-slide = اعرض هذه الشريحة
live-end = إنهاء الدرس المباشر
live-refused-title = لم يتم
live-ended-no-questions = انتهى هذا الدرس المباشر: أُغلقت الأسئلة.
live-vote-refused = هذا الاستطلاع مغلق، أو هذا الخيار ليس من خياراته.
live-full = هذه الورشة ممتلئة.
live-no-registration = هذا الدرس المباشر لا يحتاج إلى تسجيل.
live-q-pending = في الانتظار
live-q-approved = معروض للجميع
live-q-answered = تمت الإجابة
live-q-hidden = مخفي
capsule-chapters = الفصول
live-field-level = المستوى
live-field-subject = المادة
nav-quizzes = الاختبارات
quiz-list-title = الاختبارات والامتحانات التجريبية
quiz-none = لا يوجد اختبار حاليًا.
quiz-questions = { $count ->
    [zero] لا أسئلة
    [one] سؤال واحد
    [two] سؤالان
    [few] { $count } أسئلة
    [many] { $count } سؤالًا
   *[other] { $count } سؤال
}
quiz-time-limit = المدة:
quiz-attempts-allowed = { $count ->
    [zero] لا محاولات
    [one] محاولة واحدة
    [two] محاولتان
    [few] { $count } محاولات
    [many] { $count } محاولة
   *[other] { $count } محاولة
}
quiz-pass-mark = النجاح ابتداءً من
quiz-feedback-instant = ستعرف بعد كل إجابة إن كانت صحيحة؛ إجابتك الأولى هي التي تُحتسب.
quiz-feedback-deferred = سترى التصحيح في النهاية؛ يمكنك تغيير إجاباتك حتى ذلك الحين.
quiz-queued = كثير من المترشحين يبدؤون في الوقت نفسه. مكانك في الطابور:
quiz-queued-again = اضغط «ابدأ» مرة أخرى بعد لحظة.
quiz-start = ابدأ
quiz-continue = تابع
quiz-no-more-attempts = لقد استعملت كل محاولات هذا الاختبار.
quiz-your-attempts = محاولاتك
quiz-attempt = المحاولة
quiz-score = النتيجة
quiz-in-progress = جارية
quiz-weak-topics = للمراجعة
quiz-weak-help = المواضيع التي حصلت فيها على أقل من نصف النقاط:
quiz-sign-in = سجّل الدخول لاجتياز هذا الاختبار.
quiz-results = نتائج القسم
quiz-question = السؤال
quiz-time-left = الوقت المتبقي:
quiz-ends-at = ينتهي في
quiz-previous = السابق
quiz-save-next = احفظ وتابع
quiz-save = احفظ
quiz-next = التالي
quiz-finish = أنهِ المحاولة
quiz-all-questions = كل الأسئلة
quiz-answered = مُجاب
quiz-listen = استمع إلى السؤال
quiz-pick-all = اختر كل الإجابات الصحيحة.
quiz-true = صحيح
quiz-false = خطأ
quiz-your-number = العدد الذي وجدته
quiz-your-answer = إجابتك
quiz-put-in-order = أعطِ كل عنصر مكانه (1 = الأول).
quiz-right = صحيح
quiz-wrong = ليس تمامًا
quiz-you-said = إجابتك:
quiz-right-answer = الإجابة الصحيحة:
quiz-not-answered = بلا إجابة
quiz-review = التصحيح
quiz-your-score = نتيجتك:
quiz-passed = ناجح
quiz-failed = لم تنجح بعد
quiz-timed-out = انتهى الوقت: الإجابات المحفوظة قبل النهاية هي التي تُحتسب.
quiz-back = العودة إلى الاختبار
quiz-class = القسم
quiz-everyone = الجميع
quiz-show = اعرض
quiz-attempts = المحاولات
quiz-finished = المنتهية
quiz-mean = متوسط النتائج
quiz-passed-count = الناجحة
quiz-per-question = حسب السؤال
quiz-stats-help = السهولة: نسبة النقاط المحصّلة في المتوسط. التمييز: من ‎-1 إلى 1، يبيّن إن كان المتعلمون الأقوى ينجحون في السؤال أكثر من غيرهم؛ إن كان قريبًا من 0 أو أقل فالسؤال يحتاج إلى مراجعة.
quiz-answered-count = الإجابات
quiz-facility = السهولة
quiz-discrimination = التمييز
quiz-learners = المتعلمون
quiz-learner = المتعلم
quiz-best = أفضل نتيجة
quiz-needs-help = يحتاج إلى مساعدة
quiz-needs-help-yes = نعم
quiz-error-places = أعطِ كل عنصر مكانًا مختلفًا.
quiz-error-final = لهذا السؤال إجابة من قبل: الإجابة الأولى هي التي تُحتسب.
quiz-error-answer = لا يمكن قراءة هذه الإجابة: اختر إجابة في كل سطر.
quiz-check-understanding = تحقّق من فهمك
quiz-end-of-unit = اختبارات نهاية الوحدة
nav-competitions = المسابقات
competition-list-title = مسابقات الابتكار
competition-none = لا توجد مسابقة حاليًا.
competition-deadline = آخر أجل للإيداع
competition-closed-on = أُغلق الإيداع في
competition-brief = الموضوع
competition-rubric = شبكة تقييم لجنة التحكيم
competition-points = نقاط
competition-limits = عدد الأعضاء في الفريق:
competition-files = الملفات:
competition-results = النتائج
competition-rank = الترتيب
competition-team = الفريق
competition-total = المجموع
competition-your-team = فريقك
competition-submitted = أُودع في
competition-text = مشروعك (نص)
competition-add-file = أضف ملفًا
competition-submit = أودِع
competition-team-name-label = اسم الفريق
competition-members-label = معرّفات الأعضاء الآخرين (تفصل بينها فواصل)
competition-register = سجّل الفريق
competition-sign-in = سجّل الدخول للمشاركة.
competition-jury = صفحة لجنة التحكيم
competition-back = العودة إلى المسابقة
competition-publish = انشر النتائج
competition-published = النتائج منشورة.
competition-no-teams = لا يوجد فريق مسجّل.
competition-comment = ملاحظة
competition-save-score = احفظ التقييم
competition-nothing-yet = لم يُودع شيء بعد.
competition-closed = الإيداع مغلق.
competition-not-yet = تُنشر النتائج بعد آخر أجل.
competition-team-name = أعطِ الفريق اسمًا (80 حرفًا على الأكثر).
competition-unknown-member = هذا المعرّف غير موجود:
competition-team-too-big = أعضاء كثيرون؛ الحد الأقصى للفريق هو
competition-name-taken = يحمل فريق آخر هذا الاسم.
competition-already-in-team = عضو في فريق آخر من هذه المسابقة:
competition-no-team = سجّل فريقًا أولًا.
competition-text-too-long = النص أطول من 20000 حرف.
competition-file-too-large = الملف كبير جدًا؛ الحد هو
competition-file-type = هذا النوع من الملفات غير مقبول؛ الأنواع المقبولة:
competition-too-many-files = ملفات كثيرة؛ الحد الأقصى للإيداع هو
competition-empty = الإيداع فارغ: اكتب نصًا أو أرفق ملفًا.
nav-courses = الدروس
course-list-title = الدروس والتكوينات
course-none = لا يوجد درس حاليًا.
course-modules = { $count ->
    [zero] لا وحدات
    [one] وحدة واحدة
    [two] وحدتان
    [few] { $count } وحدات
    [many] { $count } وحدة
   *[other] { $count } وحدة
}
course-done = الخطوات المنجزة:
course-certificate = شهادتك
course-enrol = سجّل
course-by-class = التسجيل حسب القسم: اسأل أستاذك.
course-sign-in = سجّل الدخول للتسجيل.
course-rule = لإنهاء الدرس: شاهد كل كبسولة حتى نهايتها، اقرأ كل قراءة، انجح في كل اختبار.
course-kind-capsule = كبسولة
course-kind-quiz = اختبار
course-kind-reading = قراءة
course-step-done = منجز
course-mark-read = قرأتها
certificate-title = شهادة إتمام
certificate-awarded = تُمنح هذه الشهادة إلى
certificate-for = لإتمامه الدرس
certificate-on = بتاريخ
certificate-check = يمكن التحقق منها على العنوان
certificate-code = الرمز
certificate-print = اطبع هذه الصفحة (Ctrl+P) أو احفظها بصيغة PDF.
certificate-valid = هذه الشهادة أصلية: أصدرتها هذه المنصة.
certificate-unknown-title = الشهادة غير موجودة
certificate-unknown = لا توجد شهادة بهذا الرمز. تحقّق من نسخه بشكل صحيح.

## المكتبة
nav-library = المكتبة
library-title = المكتبة
library-intro = كتب مسموعة وسلاسل «ساعة الحكاية»، للاستماع على أي هاتف أو حاسوب، بقارئ الشاشة أو بلوحة المفاتيح وحدها.
library-books = الكتب المسموعة
library-series = السلاسل
library-no-books = لا يوجد كتاب مسموع بعد.
library-no-series = لا توجد سلسلة بعد.
library-read-by = بصوت
library-synthetic = صوت اصطناعي
library-daisy = كتاب DAISY: التنقل بالعناوين والصفحات
library-podcast-feed = خلاصة البودكاست (RSS)
library-podcast-hint = أضف هذا العنوان إلى تطبيق بودكاست لتصلك كل حلقة جديدة.
library-apps = في تطبيق القراءة
library-apps-text = تطبيقات القراءة التي تدعم OPDS تفتح المكتبة كلها:
library-opds = فهرس OPDS
library-episodes = الحلقات
library-about = عن هذا الكتاب
library-no-episodes = لا توجد حلقة بعد.
library-watch-capsule = مشاهدة الدرس
library-listen-quality = جودة الاستماع
library-low-data = توفير البيانات
library-offline = الاستماع دون اتصال
library-offline-text = الكتاب كله في ملف واحد بفصوله، لأي مشغل كتب مسموعة.
library-download-book = تنزيل الكتاب (M4B)
player-title = المشغل
book-audio-label = صوت الكتاب
player-group-play = التشغيل
player-group-move = التنقل في الكتاب
player-group-settings = الإعدادات
player-group-where = الموضع والعلامات
player-play = تشغيل
player-pause = إيقاف مؤقت
player-back = رجوع 30 ثانية
player-forward = تقدم 30 ثانية
player-prev-chapter = الفصل السابق
player-next-chapter = الفصل التالي
player-prev-heading = العنوان السابق
player-next-heading = العنوان التالي
player-prev-page = الصفحة السابقة
player-next-page = الصفحة التالية
player-speed = السرعة
player-sleep = مؤقت الإيقاف
player-sleep-none = معطل
player-sleep-chapter = نهاية الفصل
player-where = أين أنا؟
player-add-bookmark = إضافة علامة
player-bookmarks = العلامات
player-bookmarks-here = تحفظ العلامات على هذا الجهاز.
player-chapters = الفصول
player-chapter = الفصل %n من %count: %title
player-of = %at من %length
player-page = الصفحة %page
player-heading = %title
player-speed-now = السرعة %speed مرات
player-sleep-set = مؤقت الإيقاف: %choice
player-sleep-off = مؤقت الإيقاف معطل
player-sleep-done = أوقفه مؤقت الإيقاف
player-bookmark-added = أضيفت علامة: %label
player-bookmark-go = الانتقال إلى: %label
player-bookmark-remove = حذف: %label
player-bookmark-removed = حذفت العلامة
player-resumed = استئناف عند %at
player-no-page = لا صفحة هناك
player-no-heading = لا عنوان هناك
player-end = نهاية الكتاب
player-start = بداية الكتاب

## مسار محو الأمية
nav-literacy = تعلم القراءة
lit-title = تعلم القراءة
lit-nav = مسار محو الأمية
lit-home = الدروس
lit-signin = الدخول بالصور
lit-none = لا يوجد درس لمحو الأمية بعد.
lit-listen = استمع
lit-repeat = استمع وردد
lit-next = التالي
lit-back = رجوع
lit-practice = تمرن
lit-nav-lesson = التنقل في الدرس
lit-progress = التقدم في هذا الدرس
lit-right = إجابة صحيحة
lit-wrong = ليست هذه: حاول مرة أخرى
lit-done = انتهى الدرس: نجمة لكل إجابة صحيحة من المحاولة الأولى
lit-stage-letters = الحروف
lit-stage-syllables = المقاطع
lit-stage-words = الكلمات
lit-stage-sentences = الجمل
lit-state-new = لم يبدأ
lit-state-started = بدأ
lit-state-done = انتهى
lit-class-link = مسار محو الأمية
lit-class-title = محو الأمية
lit-class-intro = دروس مسار محو الأمية لكل متعلم: نجمة عند انتهاء الدرس (إجابات صحيحة كافية من المحاولة الأولى)، ونصف دائرة عند بدئه.
